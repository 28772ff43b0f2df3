package io.pgjobs.soak;

import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The rows of {@code soak.faults}: when a fault (or an upgrade's step) started and ended, in the database's time,
 * and when the cluster had recovered from it: a job enqueued at its end has completed, and no attempt that was
 * running when it started is still running.
 */
final class FaultLog {
    private static final Duration RECOVERY_DEADLINE = Duration.ofMinutes(3);

    private final DataSource dataSource;
    private final JobClient client;

    FaultLog(DataSource dataSource, JobClient client) {
        this.dataSource = dataSource;
        this.client = client;
    }

    /** Records that a fault of {@code kind} on {@code target} starts now; returns its id. */
    long started(String kind, String target) throws SQLException, InterruptedException {
        return startedWithoutProbe(dataSource, kind, target);
    }

    /** Records that fault {@code id} ended now, then waits until the cluster recovered from it (up to 3 minutes). */
    void ended(long id) throws SQLException, InterruptedException {
        retrying(() -> queryLong(dataSource, "update soak.faults set ended_at = clock_timestamp() where id = ? returning id", id));
        awaitRecovery(id);
    }

    /**
     * Records a step that has no recovery to wait for, or none that a job of this version could probe (before the
     * migrations, the schema is older than this version's client): it starts now, and {@link #endedWithoutProbe}
     * says when it is over.
     */
    static long startedWithoutProbe(DataSource dataSource, String kind, String target) throws SQLException,
            InterruptedException {
        long id = retrying(() -> queryLong(dataSource,
                "insert into soak.faults (kind, target, started_at) values (?, ?, clock_timestamp()) returning id",
                kind, target));
        log("fault " + id + " " + kind + " on " + target + " starts");
        return id;
    }

    /** The step is over, and so is what it caused (its end is its recovery). */
    static void endedWithoutProbe(DataSource dataSource, long id) throws SQLException, InterruptedException {
        retrying(() -> queryLong(dataSource, """
                update soak.faults set ended_at = clock_timestamp(), recovered_at = clock_timestamp() where id = ?
                returning id""", id));
        log("fault " + id + " over");
    }

    /** Enqueues a probe and waits until it completed and no attempt older than the fault is still running. */
    private void awaitRecovery(long faultId) throws SQLException, InterruptedException {
        long probe = retrying(() -> {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement record = c.prepareStatement("insert into soak.enqueued (job_id) values (?)")) {
                c.setAutoCommit(false);
                long jobId = client.enqueue(c, JobRequest.of(new SoakJobs.Work(0, 0, null))).id();
                record.setLong(1, jobId);
                record.executeUpdate();
                c.commit();
                return jobId;
            }
        });
        long deadline = System.nanoTime() + RECOVERY_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            long recovered = retrying(() -> queryLong(dataSource, """
                    with recovered as (
                        update soak.faults f set recovered_at = clock_timestamp()
                        where f.id = ?
                          and exists (select 1 from pgjobs.jobs where id = ? and state = 'completed')
                          and not exists (select 1 from pgjobs.jobs
                                          where state = 'running' and started_at < f.started_at)
                        returning 1)
                    select count(*) from recovered""", faultId, probe));
            if (recovered == 1) {
                log("fault " + faultId + " recovered");
                return;
            }
            TimeUnit.MILLISECONDS.sleep(100); // polling the condition, up to the deadline
        }
        log("fault " + faultId + " NOT recovered within " + RECOVERY_DEADLINE);
    }

    static long queryLong(DataSource dataSource, String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @FunctionalInterface
    interface SqlCall {
        long call() throws SQLException;
    }

    /** The harness's own statements go on through the faults it causes: retried for up to a minute. */
    static long retrying(SqlCall call) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            try {
                return call.call();
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(500); // the database is restarting
            }
        }
    }

    static void log(String message) {
        System.out.println("[soak] " + message);
    }
}
