package io.pgjobs;

import java.util.List;
import java.util.Optional;

/** A workflow as it is now, read by {@link WorkflowClient#get(long)}: its steps in the order they were added. */
public record WorkflowStatus(long id, String name, Workflow.OnFailure onFailure, List<WorkflowStep> steps) {

    /** Where a workflow stands, from the states of its steps. */
    public enum State {
        /** Some step has not finished. */
        RUNNING,
        /** Every step completed. */
        COMPLETED,
        /** Every step finished, and some did not complete (discarded, or cancelled). */
        FAILED
    }

    public State state() {
        if (steps.stream().anyMatch(s -> !s.state().isFinished())) {
            return State.RUNNING;
        }
        return steps.stream().allMatch(s -> s.state() == JobState.COMPLETED) ? State.COMPLETED : State.FAILED;
    }

    public Optional<WorkflowStep> step(String name) {
        return steps.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
