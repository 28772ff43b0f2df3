package io.pgjobs.admin;

import io.pgjobs.WorkflowStatus;
import java.time.Instant;

/**
 * Which workflows to list; null fields match everything. {@code state} is the workflow's state as derived from
 * its steps ({@link WorkflowStatus#state()}); {@code name} matches the names that start with it (a prefix); the
 * creation range includes its start and excludes its end. A bad field throws {@link IllegalArgumentException}
 * naming it.
 *
 * @param state the workflows' state; null for any
 * @param name a prefix of their names; null for any
 * @param createdFrom created at or after; null for no bound
 * @param createdTo created before; null for no bound
 */
public record WorkflowFilter(WorkflowStatus.State state, String name, Instant createdFrom, Instant createdTo) {
    /** Every workflow. */
    public static final WorkflowFilter ALL = new WorkflowFilter(null, null, null, null);

    /**
     * Checks every field.
     *
     * @throws IllegalArgumentException naming the field that is bad
     */
    public WorkflowFilter {
        name = GroupFilters.namePrefix(name);
        GroupFilters.range(createdFrom, createdTo);
    }

    /**
     * The workflows in {@code state}.
     *
     * @param state the state
     * @return the filter
     */
    public static WorkflowFilter ofState(WorkflowStatus.State state) {
        return new WorkflowFilter(state, null, null, null);
    }
}
