package io.pgjobs;

import java.util.List;

/**
 * A step of a workflow as it is now: its name, its job, the steps it depends on, its job's state, and what its
 * handler returned (JSON, null until it completed or if it returned nothing) or its last error; in a saga, its
 * compensation (null when it has none).
 *
 * @param name the step's name
 * @param jobId its job's id
 * @param state its job's state
 * @param dependsOn the names of the steps it depends on
 * @param result what its handler returned, as JSON; null until it completed, or if it returned nothing
 * @param lastError its job's last error; null if none
 * @param compensation in a saga, its compensation; null when it has none
 */
public record WorkflowStep(String name, long jobId, JobState state, List<String> dependsOn, String result,
                           String lastError, Compensation compensation) {

    /**
     * A saga step's compensation: its job's kind, and once it is due (the saga compensates and this step
     * completed) its job's id and state; both null before.
     *
     * @param kind the compensation job's kind
     * @param jobId the compensation job's id, once it is due
     * @param state the compensation job's state, once it is due
     */
    public record Compensation(String kind, Long jobId, JobState state) {}
}
