package io.pgjobs.soak;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Reads the database and the handlers' execution log after a soak and reports every broken promise, each with
 * the job's whole history. Run once the jobs have drained and the nodes have stopped.
 */
final class InvariantChecker {
    /** A broken invariant; {@code jobId} is null for one that concerns a schedule rather than a job. */
    record Violation(Long jobId, String what) {}

    /** Attempt outcomes that explain a run of the handler that did not complete its job. */
    private static final String EXPLAINED = "('failed', 'lost', 'timeout', 'interrupted')";

    /** One query per invariant: each row it returns is a violation (job id, what is wrong). */
    private static final Map<String, String> JOB_INVARIANTS = new TreeMap<>(Map.of(
            "1 every job reaches a final state", """
                    select e.job_id, 'enqueued (soak.enqueued) but its row is gone'
                    from soak.enqueued e left join pgjobs.jobs j on j.id = e.job_id where j.id is null
                    union all
                    select id, 'still ' || state || ' after the drain' from pgjobs.jobs
                    where kind like 'soak.%' and state not in ('completed', 'discarded', 'cancelled')""",
            "2 none completed twice", """
                    select job_id, 'completed ' || count(*) || ' times' from pgjobs.attempts
                    where outcome = 'completed' group by job_id having count(*) > 1""",
            "3 an attempt runs its handler once", """
                    select job_id, 'attempt ' || attempt || ' ran its handler ' || count(*) || ' times'
                    from soak.executions group by job_id, attempt having count(*) > 1""",
            "4 every run of a handler is an attempt", """
                    select x.job_id, 'attempt ' || x.attempt || ' ran on ' || x.node || ' but has no attempt row'
                    from soak.executions x
                    where not exists (select 1 from pgjobs.attempts a where a.job_id = x.job_id and a.attempt = x.attempt)""",
            "5 runs that did not complete are explained", """
                    select x.job_id, 'attempt ' || x.attempt || ' ran its handler and ended ' || a.outcome
                    from soak.executions x join pgjobs.attempts a on a.job_id = x.job_id and a.attempt = x.attempt
                    where a.outcome <> 'completed' and a.outcome not in %s""".formatted(EXPLAINED),
            "6 a completed attempt ran its handler", """
                    select a.job_id, 'attempt ' || a.attempt || ' completed without a run of its handler'
                    from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id
                    where a.outcome = 'completed' and j.kind like 'soak.%'
                      and not exists (select 1 from soak.executions x where x.job_id = a.job_id and x.attempt = a.attempt)""",
            "7 a unique job runs only after the previous job of its key finished", """
                    select b.id, 'ran at ' || min(x.at) || ', before job ' || a.id || ' of its unique key finished at '
                                 || a.finished_at
                    from pgjobs.jobs a
                    join pgjobs.jobs b on b.unique_key = a.unique_key and b.id > a.id
                    join soak.executions x on x.job_id = b.id
                    group by a.id, a.finished_at, b.id having min(x.at) < a.finished_at""",
            "8 a checkpointed job resumes from its last checkpoint", """
                    select job_id, 'attempt ' || attempt || ' started from checkpoint ' || checkpoint
                                   || ', after an attempt that had started from ' || previous
                    from (select job_id, attempt, checkpoint,
                                 lag(checkpoint) over (partition by job_id order by attempt, at) as previous
                          from soak.executions where checkpoint is not null) runs
                    where checkpoint < previous
                    union all
                    select id, 'completed with checkpoint ' || coalesce(checkpoint::text, 'none') || ' of ' || (args ->> 'steps')
                    from pgjobs.jobs where kind = 'soak.checkpointed' and state = 'completed'
                      and checkpoint is distinct from (args -> 'steps')"""));

    private final DataSource dataSource;

    InvariantChecker(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    List<Violation> check() throws SQLException {
        List<Violation> violations = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            for (var invariant : JOB_INVARIANTS.entrySet()) {
                try (PreparedStatement ps = c.prepareStatement(invariant.getValue()); ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        violations.add(new Violation(rs.getLong(1), invariant.getKey().substring(2) + ": " + rs.getString(2)));
                    }
                }
            }
            violations.addAll(cronFires(c));
        }
        return violations;
    }

    /** Each second between the schedule's first and last fire produced exactly one job. */
    private static List<Violation> cronFires(Connection c) throws SQLException {
        String prefix = "cron:" + SoakJobs.TICK_SCHEDULE + ":";
        List<Violation> violations = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select id, substring(idempotency_key from ?) from pgjobs.jobs
                where kind = 'soak.tick' and idempotency_key like ? order by 2, 1""")) {
            ps.setInt(1, prefix.length() + 1);
            ps.setString(2, prefix + "%");
            try (ResultSet rs = ps.executeQuery()) {
                Instant previous = null;
                while (rs.next()) {
                    Instant fire = Instant.parse(rs.getString(2));
                    if (previous != null && fire.equals(previous)) {
                        violations.add(new Violation(rs.getLong(1), "each fire time produced one job: " + fire + " produced another"));
                    } else if (previous != null && !fire.equals(previous.plusSeconds(1))) {
                        violations.add(new Violation(null, "each fire time produced one job: the fires from "
                                + previous.plusSeconds(1) + " to " + fire.minusSeconds(1) + " produced none ("
                                + Duration.between(previous, fire).minusSeconds(1).toSeconds() + " s)"));
                    }
                    previous = fire;
                }
            }
        }
        return violations;
    }

    /** Prints each violation with its job's row, its attempt rows and its handler runs. */
    void print(List<Violation> violations, PrintStream out) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            for (Violation v : violations) {
                out.println("VIOLATION" + (v.jobId() == null ? "" : " job " + v.jobId()) + ": " + v.what());
                if (v.jobId() != null) {
                    printRows(c, out, "  job:      ", """
                            select kind, state, attempt, max_attempts, created_at, started_at, finished_at, node_id,
                                   args::text, last_error from pgjobs.jobs where id = ?""", v.jobId());
                    printRows(c, out, "  attempt:  ", """
                            select attempt, node_id, started_at, finished_at, outcome, message from pgjobs.attempts
                            where job_id = ? order by attempt, started_at""", v.jobId());
                    printRows(c, out, "  run:      ", """
                            select attempt, node, checkpoint, at from soak.executions where job_id = ? order by at""", v.jobId());
                }
            }
        }
    }

    private static void printRows(Connection c, PrintStream out, String prefix, String sql, long jobId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder row = new StringBuilder(prefix);
                    for (int i = 1; i <= columns; i++) {
                        row.append(i > 1 ? " | " : "").append(rs.getMetaData().getColumnLabel(i)).append('=').append(rs.getString(i));
                    }
                    out.println(row);
                }
            }
        }
    }
}
