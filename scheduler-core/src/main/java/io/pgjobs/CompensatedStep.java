package io.pgjobs;

/**
 * The saga step a compensation job undoes ({@link JobContext#compensatedStep()}): its saga, its name, its job, and
 * its args and result as JSON (the result null if it returned nothing).
 */
public record CompensatedStep(long workflowId, String name, long jobId, String args, String result) {}
