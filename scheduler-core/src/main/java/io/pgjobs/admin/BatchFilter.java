package io.pgjobs.admin;

import java.time.Instant;

/**
 * Which batches to list; null fields match everything. {@code state}: {@link BatchState#OPEN} (jobs may still be
 * added), {@link BatchState#RUNNING} (sealed, some job unfinished) or {@link BatchState#FINISHED} (sealed, every
 * job finished); {@code name} matches the names that start with it (a prefix); the creation range includes its start
 * and excludes its end. A bad field throws {@link IllegalArgumentException} naming it.
 *
 * @param state the batches' state; null for any
 * @param name a prefix of their names; null for any
 * @param createdFrom created at or after; null for no bound
 * @param createdTo created before; null for no bound
 */
public record BatchFilter(BatchState state, String name, Instant createdFrom, Instant createdTo) {
    /** Every batch. */
    public static final BatchFilter ALL = new BatchFilter(null, null, null, null);

    /** Where a batch stands, from its row. */
    public enum BatchState {
        /** Not sealed: jobs may still be added. */
        OPEN,
        /** Sealed, and some job is unfinished. */
        RUNNING,
        /** Sealed, and every job finished. */
        FINISHED
    }

    /**
     * Checks every field.
     *
     * @throws IllegalArgumentException naming the field that is bad
     */
    public BatchFilter {
        name = GroupFilters.namePrefix(name);
        GroupFilters.range(createdFrom, createdTo);
    }
}
