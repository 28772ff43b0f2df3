package io.pgjobs.soak;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/** The figures of a soak, read from the database and the nodes' samples, printed for docs/reliability.md. */
final class SoakReport {
    /** Faults of one kind: how many were injected and recovered from, and the slowest recovery. */
    record FaultCount(String kind, int injected, int recovered, double maxSecondsToRecover) {}

    private final DataSource dataSource;

    SoakReport(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    Map<String, FaultCount> faults() throws SQLException {
        Map<String, FaultCount> faults = new TreeMap<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     select kind, count(*), count(recovered_at),
                            coalesce(max(extract(epoch from recovered_at - started_at)), 0)
                     from soak.faults group by kind""");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                faults.put(rs.getString(1), new FaultCount(rs.getString(1), rs.getInt(2), rs.getInt(3), rs.getDouble(4)));
            }
        }
        return faults;
    }

    void print(PrintStream out, List<NodeJvm> nodes, ConnectionSampler connections) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            out.println("== faults (seconds from the fault's start and end to recovery)");
            table(c, out, """
                    select kind, count(*) as injected, count(recovered_at) as recovered,
                           round(avg(extract(epoch from recovered_at - started_at))::numeric, 1) as avg_from_start,
                           round(max(extract(epoch from recovered_at - started_at))::numeric, 1) as max_from_start,
                           round(max(extract(epoch from recovered_at - ended_at))::numeric, 1) as max_from_end
                    from soak.faults group by kind order by kind""");
            out.println("== fault log");
            table(c, out, "select id, kind, target, started_at, ended_at, recovered_at from soak.faults order by id");
            out.println("== jobs");
            table(c, out, "select kind, state, count(*) from pgjobs.jobs group by 1, 2 order by 1, 2");
            out.println("== attempts by outcome");
            table(c, out, """
                    select outcome, count(*),
                           count(*) filter (where message = '%s') as injected_failures
                    from pgjobs.attempts group by 1 order by 1""".formatted(SoakJobs.INJECTED_FAILURE));
            out.println("== payload checksums (SHA-256 of args stored by pgjobs at enqueue, checked before each run)");
            table(c, out, """
                    select count(*) filter (where args_sha256 is not null) as jobs_with_checksum,
                           count(*) filter (where args_sha256 is not null and state = 'completed') as checked_and_completed,
                           count(*) filter (where last_error like '%%%s%%') as mismatches
                    from pgjobs.jobs where kind like 'soak.%%'""".formatted(SoakJobs.CHECKSUM_MISMATCH));
            out.println("== rate limit of %s (%d a second, burst %d): starts, and the most in any second"
                    .formatted(SoakJobs.RATED_QUEUE, SoakJobs.RATE_PER_SECOND, SoakJobs.RATE_BURST));
            table(c, out, """
                    select count(*) as starts, max(in_second) as most_in_one_second from (
                        select count(*) over (order by a.started_at range between interval '1 second' preceding
                                              and current row) as in_second
                        from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id where j.queue = '%s') s"""
                    .formatted(SoakJobs.RATED_QUEUE));
            out.println("== circuit of soak.partner: transitions by state entered, and the partner's attempts");
            table(c, out, """
                    select state as entered, count(*) from (
                        select state, lag(state) over (partition by kind order by id) as previous from soak.circuit_log) t
                    where previous is distinct from state and not (previous is null and state = 'closed')
                    group by 1 order by 1""");
            table(c, out, """
                    select a.outcome, count(*), count(*) filter (where a.message = '%s') as partner_down
                    from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id where j.kind = 'soak.partner'
                    group by 1 order by 1""".formatted(SoakJobs.PARTNER_DOWN));
            out.println("== soak.timed attempts (timeout %d ms) by outcome, slept past the timeout or not"
                    .formatted(SoakJobs.HANDLER_TIMEOUT.toMillis()));
            table(c, out, """
                    select (j.args ->> 'millis')::bigint > %d as past_timeout, a.outcome, count(*)
                    from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id where j.kind = 'soak.timed'
                    group by 1, 2 order by 1, 2""".formatted(SoakJobs.HANDLER_TIMEOUT.toMillis()));
            out.println("== ordered keys: jobs whose enqueue committed after a later job of their key was claimed (they "
                    + "wait for it and run next: no breach of order), when the server keeps commit times");
            table(c, out, """
                    %s
                    select current_setting('track_commit_timestamp') = 'on' as commit_times_kept,
                           count(distinct a.id) as committed_after_a_later_job_claimed
                    from ordered a join ordered b on b.ordering_key = a.ordering_key and b.id > a.id
                    where a.committed > b.claimed""".formatted(InvariantChecker.ORDERED_JOBS));
            out.println("== handler runs: total, and jobs run more than once");
            table(c, out, """
                    select count(*) as runs, count(distinct job_id) as jobs,
                           (select count(*) from (select 1 from soak.executions group by job_id having count(*) > 1) t) as rerun_jobs
                    from soak.executions""");
            out.println("== enqueue to first start of soak.work jobs, ms, counted as the checker counts a wait: from the "
                    + "enqueue's commit, and for a workflow step from its parents' end (during a fault: waiting from "
                    + "between its start and recovery)");
            table(c, out, """
                    with firsts as (
                        select j.id, %s as waits_from, min(a.started_at) as started_at
                        from pgjobs.jobs j join pgjobs.attempts a on a.job_id = j.id
                        where j.kind = 'soak.work' group by j.id),
                    labelled as (
                        select extract(epoch from started_at - waits_from) * 1000 as ms,
                               exists (select 1 from soak.faults f where firsts.waits_from
                                       between f.started_at and coalesce(f.recovered_at, f.ended_at, 'infinity')) as during_fault
                        from firsts)
                    select case when during_fault then 'during faults' else 'outside faults' end as period, count(*),
                           round(percentile_cont(0.5) within group (order by ms)::numeric) as p50,
                           round(percentile_cont(0.99) within group (order by ms)::numeric) as p99,
                           round(max(ms)::numeric) as max
                    from labelled group by during_fault order by 1""".formatted(InvariantChecker.WAITS_FROM));
            out.println("== node runs: seconds from each JVM's launch to its ready line (its scheduler started) and to "
                    + "its first completed job, from which the checker counts its slots as capacity");
            table(c, out, """
                    with %s
                    select node, launched_at,
                           round(extract(epoch from ready_at - launched_at)::numeric, 1) as to_ready,
                           round(extract(epoch from warm_at - launched_at)::numeric, 1) as to_first_completed, ended_at
                    from node_runs order by launched_at""".formatted(InvariantChecker.NODE_RUNS));
            out.println("== table and index sizes (retention: 7 days, so nothing was pruned)");
            table(c, out, """
                    select relname as relation, case relkind when 'i' then 'index' else 'table' end as type,
                           pg_size_pretty(pg_relation_size(oid)) as size
                    from pg_class where relnamespace in ('pgjobs'::regnamespace, 'soak'::regnamespace)
                      and relkind in ('r', 'i') and pg_relation_size(oid) > 0
                    order by pg_relation_size(oid) desc""");
        }
        out.println("== connections held, most seen at once by application_name");
        connections.maxima().forEach((name, max) -> out.println(name + ": " + max));
        out.println("== nodes whose JVM exited before its scheduler started (start() failed), and was started again");
        for (NodeJvm node : nodes) {
            out.println(node.nodeId() + ": " + node.failedStarts());
        }
        out.println("== nodes: heap after GC (MiB) and threads, sampled over time (second: heap/threads)");
        for (NodeJvm node : nodes) {
            List<NodeJvm.Sample> samples = node.samples();
            StringBuilder line = new StringBuilder(node.nodeId()).append(':');
            int step = Math.max(1, samples.size() / 10);
            for (int i = 0; i < samples.size(); i += step) {
                NodeJvm.Sample s = samples.get(i);
                line.append(' ').append(s.second()).append("s: ").append(s.heapAfterGc() >> 20).append('/').append(s.threads());
            }
            out.println(line);
        }
    }

    private static void table(Connection c, PrintStream out, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            int columns = rs.getMetaData().getColumnCount();
            StringBuilder header = new StringBuilder();
            for (int i = 1; i <= columns; i++) {
                header.append(i > 1 ? " | " : "").append(rs.getMetaData().getColumnLabel(i));
            }
            out.println(header);
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= columns; i++) {
                    row.append(i > 1 ? " | " : "").append(rs.getString(i));
                }
                out.println(row);
            }
        }
    }
}
