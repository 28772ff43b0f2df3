package io.pgjobs;

import java.util.List;
import java.util.Optional;

/**
 * A workflow as it is now, read by {@link WorkflowClient#get(long)}: its steps in the order they were added, and
 * for a saga its saga state ({@code sagaState}, null for a plain workflow).
 *
 * @param id the workflow's id
 * @param name its name
 * @param onFailure what a failed step does to its dependants
 * @param sagaState its saga state; null for a plain workflow
 * @param steps its steps, in the order they were added
 */
public record WorkflowStatus(long id, String name, Workflow.OnFailure onFailure, SagaState sagaState,
                             List<WorkflowStep> steps) {

    /** Where a workflow stands, from the states of its steps (for a saga, from its saga state). */
    public enum State {
        /** Some step has not finished; for a saga, it runs or compensates. */
        RUNNING,
        /** Every step completed. */
        COMPLETED,
        /** Every step finished, and some did not complete; for a saga, it is compensated or its compensation failed. */
        FAILED
    }

    /** Where a saga stands, as stored in the database (docs/workflows.md#sagas). */
    public enum SagaState {
        /** No step has failed; some step has not finished. */
        RUNNING,
        /** A step failed for good: the completed steps' compensations run (or wait for unfinished steps). */
        COMPENSATING,
        /** Every completed step's compensation completed. */
        COMPENSATED,
        /** A compensation was discarded or cancelled: an operator must act (AdminClient#retryCompensation). */
        COMPENSATION_FAILED,
        /** Every step completed. */
        COMPLETED
    }

    /** {@return where it stands, from the states of its steps (for a saga, from its saga state)} */
    public State state() {
        if (sagaState != null) {
            return switch (sagaState) {
                case RUNNING, COMPENSATING -> State.RUNNING;
                case COMPLETED -> State.COMPLETED;
                case COMPENSATED, COMPENSATION_FAILED -> State.FAILED;
            };
        }
        if (steps.stream().anyMatch(s -> !s.state().isFinished())) {
            return State.RUNNING;
        }
        return steps.stream().allMatch(s -> s.state() == JobState.COMPLETED) ? State.COMPLETED : State.FAILED;
    }

    /**
     * One step.
     *
     * @param name the step's name
     * @return the step; empty when it has no step of that name
     */
    public Optional<WorkflowStep> step(String name) {
        return steps.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
