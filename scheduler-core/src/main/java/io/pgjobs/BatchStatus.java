package io.pgjobs;

/**
 * A batch as it is now, read by {@link BatchClient#get(long)}: whether it is sealed, its jobs counted by how they
 * ended, and the ids of the callback jobs that fired (null until then, or if it has no such callback).
 */
public record BatchStatus(long id, String name, boolean sealed, int total, int completed, int discarded,
                          int cancelled, Long successJobId, Long discardJobId, Long completeJobId) {

    /** Sealed, and every job finished. */
    public boolean isFinished() {
        return sealed && completed + discarded + cancelled == total;
    }
}
