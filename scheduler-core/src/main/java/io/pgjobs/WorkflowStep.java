package io.pgjobs;

import java.util.List;

/**
 * A step of a workflow as it is now: its name, its job, the steps it depends on, its job's state, and what its
 * handler returned (JSON, null until it completed or if it returned nothing) or its last error.
 */
public record WorkflowStep(String name, long jobId, JobState state, List<String> dependsOn, String result,
                           String lastError) {}
