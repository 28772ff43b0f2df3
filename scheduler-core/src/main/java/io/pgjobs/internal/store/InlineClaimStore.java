package io.pgjobs.internal.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The claim of one given job, by id, for {@code Scheduler.runJob}: the job runs in the caller's thread and is then
 * completed by {@link ExecutionStore#complete} like any claimed job. Hand-written SQL, one statement, in the
 * claim's style (V11's {@code claim_jobs}): the same columns set, the same columns returned.
 */
public final class InlineClaimStore {
    private final DataSource dataSource;
    private final String claimSql;

    public InlineClaimStore(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        // Unlike a queue's claim, it takes a job waiting for its time too (running it now is what was asked), and
        // neither the queue's pause nor its flow control holds it back. It waits for a row lock instead of skipping
        // it: a concurrent claim of the same job commits first, and the update then finds it running and takes
        // nothing (one row by primary key: the recheck of the new row version is exact).
        this.claimSql = """
                update %1$s.jobs j
                set state = 'running', attempt = j.attempt + 1, started_at = now(), node_id = ?,
                    lease_expires_at = now() + ? * interval '1 millisecond'
                where j.id = ? and j.state in ('available', 'scheduled', 'retryable') and j.kind = any(?)
                returning j.id, j.kind, j.queue, j.attempt, j.max_attempts, j.args::text, j.metadata::text,
                          greatest(0, extract(epoch from now() - j.run_at) * 1000)::bigint, j.args_sha256
                """.formatted(schema);
    }

    /**
     * Claims job {@code jobId} for {@code nodeId} with a lease of {@code leaseMs}, if it waits to run (available,
     * scheduled or retryable, due or not) and is of one of {@code kinds}; empty otherwise.
     */
    public Optional<ClaimedJob> claim(long jobId, List<String> kinds, String nodeId, long leaseMs)
            throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(claimSql)) {
                ps.setString(1, nodeId);
                ps.setLong(2, leaseMs);
                ps.setLong(3, jobId);
                ps.setArray(4, Sql.textArray(connection, kinds));
                long sentNanos = System.nanoTime(); // before the claim, as ClaimedJob needs it
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(ClaimedJob.read(rs, sentNanos)) : Optional.empty();
                }
            }
        });
    }
}
