package io.pgjobs.internal.store;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A job this node has just claimed; {@code queueWaitMs} is how long it was due before the claim (database time),
 * {@code claimSentNanos} the node's {@link System#nanoTime()} just before the claim statement was sent. The
 * database started the claim (the job's {@code started_at}, and its lease) after that moment, so the time the node
 * measures from it is never less than the time the database counts from the claim, however long the claim's answer
 * took to be read (a node frozen while it waited for it, say): the runtime starts a job only while that time is
 * well within the lease, and its attempt's end is written as the claim's database time plus that time (see
 * {@link Completion}).
 */
public record ClaimedJob(long id, String kind, String queue, int attempt, int maxAttempts, String argsJson,
                         String metadataJson, long queueWaitMs, long claimSentNanos) {
    /** The job in the current row of a claim's result (the columns of claim_jobs, in order). */
    static ClaimedJob read(ResultSet rs, long claimSentNanos) throws SQLException {
        return new ClaimedJob(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getInt(5),
                rs.getString(6), rs.getString(7), rs.getLong(8), claimSentNanos);
    }
}
