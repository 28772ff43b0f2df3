package io.pgjobs.admin;

import io.pgjobs.WorkflowStatus;
import java.time.Instant;

/**
 * Which workflows to list; null fields match everything. {@code state} is the workflow's state as derived from
 * its steps ({@link WorkflowStatus#state()}); {@code name} matches the names that start with it (a prefix); the
 * creation range includes its start and excludes its end. A bad field throws {@link IllegalArgumentException}
 * naming it.
 */
public record WorkflowFilter(WorkflowStatus.State state, String name, Instant createdFrom, Instant createdTo) {
    public static final WorkflowFilter ALL = new WorkflowFilter(null, null, null, null);

    public WorkflowFilter {
        name = GroupFilters.namePrefix(name);
        GroupFilters.range(createdFrom, createdTo);
    }

    public static WorkflowFilter ofState(WorkflowStatus.State state) {
        return new WorkflowFilter(state, null, null, null);
    }
}
