package io.pgjobs;

/**
 * The saga step a compensation job undoes ({@link JobContext#compensatedStep()}): its saga, its name, its job, and
 * its args and result as JSON (the result null if it returned nothing).
 *
 * @param workflowId the saga's workflow id
 * @param name the step's name
 * @param jobId the step's job id
 * @param args the step's args, JSON
 * @param result what the step returned, JSON; null if nothing
 */
public record CompensatedStep(long workflowId, String name, long jobId, String args, String result) {}
