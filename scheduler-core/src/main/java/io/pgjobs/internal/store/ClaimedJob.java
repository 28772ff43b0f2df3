package io.pgjobs.internal.store;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A job this node has just claimed; {@code queueWaitMs} is how long it was due before the claim (database time),
 * {@code claimedNanos} the node's {@link System#nanoTime()} when the claim returned it: its attempt's end is
 * written as the claim's database time plus the time measured on the node since then (see {@link Completion}).
 */
public record ClaimedJob(long id, String kind, String queue, int attempt, int maxAttempts, String argsJson,
                         String metadataJson, long queueWaitMs, long claimedNanos) {
    /** The job in the current row of a claim's result (the columns of claim_jobs, in order). */
    static ClaimedJob read(ResultSet rs, long claimedNanos) throws SQLException {
        return new ClaimedJob(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getInt(5),
                rs.getString(6), rs.getString(7), rs.getLong(8), claimedNanos);
    }
}
