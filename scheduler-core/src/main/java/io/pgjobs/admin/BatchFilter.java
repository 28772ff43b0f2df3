package io.pgjobs.admin;

import java.time.Instant;

/**
 * Which batches to list; null fields match everything. {@code state}: {@link BatchState#OPEN} (jobs may still be
 * added), {@link BatchState#RUNNING} (sealed, some job unfinished) or {@link BatchState#FINISHED} (sealed, every
 * job finished); {@code name} matches the names that start with it (a prefix); the creation range includes its start
 * and excludes its end. A bad field throws {@link IllegalArgumentException} naming it.
 */
public record BatchFilter(BatchState state, String name, Instant createdFrom, Instant createdTo) {
    public static final BatchFilter ALL = new BatchFilter(null, null, null, null);

    /** Where a batch stands, from its row. */
    public enum BatchState { OPEN, RUNNING, FINISHED }

    public BatchFilter {
        name = GroupFilters.namePrefix(name);
        GroupFilters.range(createdFrom, createdTo);
    }
}
