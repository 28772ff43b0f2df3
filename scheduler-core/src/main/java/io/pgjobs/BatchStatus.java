package io.pgjobs;

/**
 * A batch as it is now, read by {@link BatchClient#get(long)}: whether it is sealed, its jobs counted by how they
 * ended, and the ids of the callback jobs that fired (null until then, or if it has no such callback).
 *
 * @param id the batch's id
 * @param name the batch's name
 * @param sealed whether it is sealed: no job can be added any more
 * @param total how many jobs it has
 * @param completed how many of them completed
 * @param discarded how many were discarded
 * @param cancelled how many were cancelled
 * @param successJobId the id of its on-success callback job, once that fired
 * @param discardJobId the id of its on-discard callback job, once that fired
 * @param completeJobId the id of its on-complete callback job, once that fired
 */
public record BatchStatus(long id, String name, boolean sealed, int total, int completed, int discarded,
                          int cancelled, Long successJobId, Long discardJobId, Long completeJobId) {

    /** {@return whether it is sealed and every job finished} */
    public boolean isFinished() {
        return sealed && completed + discarded + cancelled == total;
    }
}
