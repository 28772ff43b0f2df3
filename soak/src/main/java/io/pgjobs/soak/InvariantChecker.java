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

    /**
     * The runs of the limited queue's attempts: from the first run of the handler (after the claim committed, so
     * the attempt held its slot then) to the end of the attempt written in the database (when its slot was
     * freed). Two such runs that overlap held their slots at the same time.
     */
    private static final String LIMITED_RUNS = """
            with runs as (
                select x.job_id, x.attempt, min(x.at) as began, a.finished_at, j.args ->> 'key' as partition
                from soak.executions x
                join pgjobs.attempts a on a.job_id = x.job_id and a.attempt = x.attempt
                join pgjobs.jobs j on j.id = x.job_id
                where j.queue = '%s'
                group by x.job_id, x.attempt, a.finished_at, j.args ->> 'key')""".formatted(SoakJobs.LIMITED_QUEUE);

    /**
     * The runs of the ordered queue's attempts, as {@link #LIMITED_RUNS}: two that overlap ran at the same time
     * (a frozen node's handler that runs on after its job was rescued is not counted: its attempt had ended).
     */
    private static final String ORDERED_RUNS = """
            with runs as (
                select x.job_id, x.attempt, min(x.at) as began, a.finished_at, j.ordering_key
                from soak.executions x
                join pgjobs.attempts a on a.job_id = x.job_id and a.attempt = x.attempt
                join pgjobs.jobs j on j.id = x.job_id
                where j.queue = '%s' and j.ordering_key is not null
                group by x.job_id, x.attempt, a.finished_at, j.ordering_key)""".formatted(SoakJobs.ORDERED_QUEUE);

    /**
     * When the enqueue of job {@code j} committed, where the server keeps commit timestamps
     * ({@code track_commit_timestamp}, on in the soak's embedded server; else null). Its row of
     * {@code soak.enqueued} was inserted in the enqueue's transaction and never updated, so that row's {@code xmin}
     * is the enqueue's transaction.
     */
    private static final String ENQUEUE_COMMITTED = """
            (select case when current_setting('track_commit_timestamp') = 'on'
                         then pg_xact_commit_timestamp(e.xmin) end
             from soak.enqueued e where e.job_id = j.id)""";

    /**
     * The ordered queue's jobs with a key: when each was first claimed, first ran, and when its enqueue committed
     * ({@link #ENQUEUE_COMMITTED}). Enqueue order is the order of the ids, except that a job whose transaction
     * commits after a later job of its key was claimed waits for that one and runs next
     * (docs/flow-control.md, "Ordered keys"): with producers in concurrent transactions, as in the upgrade, ids are
     * taken in one order and committed in another.
     */
    static final String ORDERED_JOBS = """
            with ordered as (
                select j.id, j.ordering_key, j.finished_at,
                       (select min(a.started_at) from pgjobs.attempts a where a.job_id = j.id) as claimed,
                       (select min(x.at) from soak.executions x where x.job_id = j.id) as ran,
                       %s as committed
                from pgjobs.jobs j where j.queue = '%s' and j.ordering_key is not null)""".formatted(
            ENQUEUE_COMMITTED, SoakJobs.ORDERED_QUEUE);

    /**
     * How long after a circuit's opening was logged an attempt of its kind may still start, and how long before
     * its next transition (the probe taken: half-open) was logged one may already start: the log's time is taken
     * inside the transition's statement, just before it commits, and a claim that began before the commit still
     * saw the circuit as it was. While half-open, the probe runs: the node that took it claims it before it writes
     * the probe's job (a node frozen in between delays that write), so the check is on the open spans only.
     */
    private static final Duration CIRCUIT_SLACK = Duration.ofSeconds(1);

    /** One query per invariant: each row it returns is a violation (job id, what is wrong). */
    private static final Map<String, String> JOB_INVARIANTS = new TreeMap<>(Map.ofEntries(
            Map.entry("1 every job reaches a final state", """
                    select e.job_id, 'enqueued (soak.enqueued) but its row is gone'
                    from soak.enqueued e left join pgjobs.jobs j on j.id = e.job_id where j.id is null
                    union all
                    select id, 'still ' || state || ' after the drain' from pgjobs.jobs
                    where kind like 'soak.%' and state not in ('completed', 'discarded', 'cancelled')"""),
            Map.entry("2 none completed twice", """
                    select job_id, 'completed ' || count(*) || ' times' from pgjobs.attempts
                    where outcome = 'completed' group by job_id having count(*) > 1"""),
            Map.entry("3 an attempt runs its handler once", """
                    select job_id, 'attempt ' || attempt || ' ran its handler ' || count(*) || ' times'
                    from soak.executions group by job_id, attempt having count(*) > 1"""),
            Map.entry("4 every run of a handler is an attempt", """
                    select x.job_id, 'attempt ' || x.attempt || ' ran on ' || x.node || ' but has no attempt row'
                    from soak.executions x
                    where not exists (select 1 from pgjobs.attempts a where a.job_id = x.job_id and a.attempt = x.attempt)"""),
            Map.entry("5 runs that did not complete are explained", """
                    select x.job_id, 'attempt ' || x.attempt || ' ran its handler and ended ' || a.outcome
                    from soak.executions x join pgjobs.attempts a on a.job_id = x.job_id and a.attempt = x.attempt
                    where a.outcome <> 'completed' and a.outcome not in %s""".formatted(EXPLAINED)),
            Map.entry("6 a completed attempt ran its handler", """
                    select a.job_id, 'attempt ' || a.attempt || ' completed without a run of its handler'
                    from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id
                    where a.outcome = 'completed' and j.kind like 'soak.%'
                      and not exists (select 1 from soak.executions x where x.job_id = a.job_id and x.attempt = a.attempt)"""),
            Map.entry("7 a unique job runs only after the previous job of its key finished", """
                    select b.id, 'ran at ' || min(x.at) || ', before job ' || a.id || ' of its unique key finished at '
                                 || a.finished_at
                    from pgjobs.jobs a
                    join pgjobs.jobs b on b.unique_key = a.unique_key and b.id > a.id
                    join soak.executions x on x.job_id = b.id
                    group by a.id, a.finished_at, b.id having min(x.at) < a.finished_at"""),
            Map.entry("8 a checkpointed job resumes from its last checkpoint", """
                    select job_id, 'attempt ' || attempt || ' started from checkpoint ' || checkpoint
                                   || ', after an attempt that had started from ' || previous
                    from (select x.job_id, x.attempt, x.checkpoint,
                                 lag(x.checkpoint) over (partition by x.job_id order by x.attempt, x.at) as previous
                          from soak.executions x
                          join pgjobs.attempts a on a.job_id = x.job_id and a.attempt = x.attempt
                          -- a run logged after its attempt had ended is a frozen node's handler running on after
                          -- its job was rescued: it read a later attempt's checkpoint, and its writes are refused
                          where x.checkpoint is not null and x.at <= coalesce(a.finished_at, 'infinity')) runs
                    where checkpoint < previous
                    union all
                    select id, 'completed with checkpoint ' || coalesce(checkpoint::text, 'none') || ' of ' || (args ->> 'steps')
                    from pgjobs.jobs where kind = 'soak.checkpointed' and state = 'completed'
                      and checkpoint is distinct from (args -> 'steps')"""),
            Map.entry("8a payloads arrive intact", """
                    select job_id, 'attempt ' || attempt || ' ended ' || outcome || ': ' || message from pgjobs.attempts
                    where message like '%%%s%%'""".formatted(SoakJobs.CHECKSUM_MISMATCH)),
            Map.entry("9 never over a queue's limit", """
                    %s
                    select r.job_id, 'attempt ' || r.attempt || ' started at ' || r.began || ' while ' || count(*)
                                     || ' other jobs of queue %s were running (its limit: %d)'
                    from runs r join runs o on o.job_id <> r.job_id and o.began <= r.began and o.finished_at > r.began
                    group by r.job_id, r.attempt, r.began having count(*) >= %d""".formatted(LIMITED_RUNS,
                    SoakJobs.LIMITED_QUEUE, SoakJobs.LIMITED_QUEUE_LIMIT, SoakJobs.LIMITED_QUEUE_LIMIT)),
            Map.entry("9a never over a partition's limit", """
                    %s
                    select r.job_id, 'attempt ' || r.attempt || ' started at ' || r.began || ' while ' || count(*)
                                     || ' other jobs of partition ' || r.partition || ' were running (its limit: %d)'
                    from runs r join runs o on o.job_id <> r.job_id and o.partition = r.partition
                                           and o.began <= r.began and o.finished_at > r.began
                    group by r.job_id, r.attempt, r.began, r.partition having count(*) >= %d""".formatted(LIMITED_RUNS,
                    SoakJobs.LIMITED_PARTITION_LIMIT, SoakJobs.LIMITED_PARTITION_LIMIT)),
            Map.entry("9b the jobs of an ordering key run one at a time", """
                    %s
                    select r.job_id, 'attempt ' || r.attempt || ' started at ' || r.began || ' while attempt '
                                     || o.attempt || ' of job ' || o.job_id || ' of its ordering key ' || r.ordering_key
                                     || ' was running (from ' || o.began || ' to ' || o.finished_at || ')'
                    from runs r join runs o on o.job_id <> r.job_id and o.ordering_key = r.ordering_key
                                           and o.began <= r.began and o.finished_at > r.began""".formatted(ORDERED_RUNS)),
            Map.entry("9b2 the jobs of an ordering key run in enqueue order", """
                    %s
                    select b.id, 'ran at ' || b.ran || ' (claimed at ' || b.claimed || '), before job ' || a.id
                                 || ' of ordering key ' || a.ordering_key || ' (enqueued before it, its enqueue '
                                 || coalesce('committed at ' || a.committed, 'of unknown commit time')
                                 || ', first claimed at ' || coalesce(a.claimed::text, 'never')
                                 || ') finished at ' || coalesce(a.finished_at::text, 'never')
                    from ordered a join ordered b on b.ordering_key = a.ordering_key and b.id > a.id
                    where b.ran < coalesce(a.finished_at, 'infinity')
                      and (a.committed is null or a.committed < b.claimed)""".formatted(ORDERED_JOBS)),
            Map.entry("9c a workflow step runs only after every step it depends on completed", """
                    select d.job_id, 'ran at ' || min(x.at) || ' though step ' || p.id || ' it depends on is '
                                     || p.state || coalesce(' since ' || p.finished_at, '')
                    from pgjobs.job_dependencies d
                    join pgjobs.jobs p on p.id = d.depends_on
                    join soak.executions x on x.job_id = d.job_id
                    group by d.job_id, p.id, p.state, p.finished_at
                    having p.state <> 'completed' or min(x.at) < p.finished_at"""),
            Map.entry("9e never over a rate limit", """
                    with starts as (
                        select a.job_id, a.attempt, a.started_at,
                               row_number() over (order by a.started_at, a.job_id, a.attempt)
                                   - extract(epoch from a.started_at) * %1$d as ahead
                        from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id
                        where j.queue = '%2$s'),
                    running as (
                        select s.*, min(ahead) over (order by started_at, job_id, attempt
                                                     rows between unbounded preceding and current row) as least_ahead
                        from starts s)
                    select job_id, 'from an earlier start to attempt ' || attempt || ' started at ' || started_at || ', '
                                   || round(ahead - least_ahead + 1 - %3$d, 3) || ' more starts than the burst (%3$d) '
                                   || 'plus the span times the rate (%1$d a second)'
                    from running where ahead - least_ahead + 1 > %3$d + 0.000001""".formatted(
                    SoakJobs.RATE_PER_SECOND, SoakJobs.RATED_QUEUE, SoakJobs.RATE_BURST)),
            Map.entry("9f no attempt starts while its kind's circuit is open", """
                    with spans as (
                        select kind, state, at as began, lead(at) over (partition by kind order by id) as ended
                        from soak.circuit_log)
                    select a.job_id, 'attempt ' || a.attempt || ' of ' || j.kind || ' started at ' || a.started_at
                                     || ' while its circuit was open (from ' || s.began || ' until '
                                     || coalesce(s.ended::text, 'the end') || ')'
                    from spans s
                    join pgjobs.jobs j on j.kind = s.kind
                    join pgjobs.attempts a on a.job_id = j.id
                    where s.state = 'open' and a.started_at > s.began + interval '%1$d ms'
                      and a.started_at < coalesce(s.ended, 'infinity') - interval '%1$d ms'""".formatted(
                    CIRCUIT_SLACK.toMillis())),
            Map.entry("9g an attempt that runs past its handler's timeout ends timeout", """
                    select a.job_id, 'attempt ' || a.attempt || ' slept ' || (j.args ->> 'millis') || ' ms under a '
                                     || 'timeout of %1$d ms and ended ' || a.outcome
                    from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id
                    where j.kind = 'soak.timed' and (j.args ->> 'millis')::bigint > %1$d and a.outcome = 'completed'
                    union all
                    select a.job_id, 'attempt ' || a.attempt || ' of ' || j.kind || ' ended timeout after '
                                     || (a.finished_at - a.started_at) || ': ' || coalesce(a.message, '')
                    from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id
                    where a.outcome = 'timeout'
                      and (j.kind <> 'soak.timed' or a.message not like 'timed out after%%'
                           or a.finished_at - a.started_at < interval '%1$d ms')""".formatted(
                    SoakJobs.HANDLER_TIMEOUT.toMillis())),
            Map.entry("9d a sealed batch fires its callback once, after its jobs finished", """
                    select (select min(id) from pgjobs.jobs where batch_id = b.id),
                           'batch ' || b.name || ' has ' || count(c.id) || ' callback jobs'
                    from pgjobs.batches b
                    left join pgjobs.jobs c on c.metadata ->> 'pgjobs.batch_id' = b.id::text
                    where b.sealed and b.name like 'soak-batch-%'
                    group by b.id, b.name having count(c.id) <> 1
                    union all
                    select c.id, 'the callback of batch ' || b.name || ' ran at ' || min(x.at) || ', before job '
                                 || j.id || ' of the batch finished at ' || coalesce(j.finished_at::text, 'never')
                    from pgjobs.batches b
                    join pgjobs.jobs c on c.metadata ->> 'pgjobs.batch_id' = b.id::text
                    join soak.executions x on x.job_id = c.id
                    join pgjobs.jobs j on j.batch_id = b.id
                    group by b.name, c.id, j.id, j.finished_at
                    having min(x.at) < coalesce(j.finished_at, 'infinity')""")));

    /** How long a job may wait for its first start while a warm node has a free slot and no fault is on. */
    static final Duration WAIT_BOUND = Duration.ofSeconds(5);

    /** The start of the message of a wait over {@link #WAIT_BOUND}: such violations print the nodes' runs too. */
    private static final String WAITED = "no job waits while capacity is free";

    /**
     * Each incarnation of a node's JVM ({@code soak.node_runs}, written by the harness) and when it became warm: its
     * first completed job, the first time a job went through its whole pipeline (claim, handler, completion).
     * A node's slots are capacity from then until the incarnation ended. Not from its launch, nor from its ready
     * line (its scheduler had started): on a loaded machine a restarted node claims jobs after its ready line
     * whose handlers first run seconds later, while its classes load and its code compiles (docs/reliability.md,
     * "A node that has just started").
     */
    static final String NODE_RUNS = """
            node_runs as (
                select r.node, r.launched_at, r.ready_at, coalesce(r.ended_at, 'infinity') as ended_at,
                       (select min(a.finished_at) from pgjobs.attempts a
                        where a.node_id = r.node and a.outcome = 'completed' and a.started_at >= r.launched_at
                          and a.finished_at < coalesce(r.ended_at, 'infinity')) as warm_at
                from soak.node_runs r)""";

    /**
     * When job {@code j} began to wait: the commit of its enqueue, where the server keeps commit times
     * ({@link #ENQUEUE_COMMITTED}), else its {@code created_at}, the enqueue transaction's start; and for a
     * workflow step, not before the last of the steps it depends on finished (the completion that released it).
     * Until then no claim can take a job: a producer slow to commit (a starved node enqueueing, in the upgrade)
     * or a step waiting for its parents is no wait of the scheduler's.
     */
    static final String WAITS_FROM = """
            greatest(coalesce(%s, j.created_at),
                     (select max(p.finished_at) from pgjobs.job_dependencies d join pgjobs.jobs p on p.id = d.depends_on
                      where d.job_id = j.id))""".formatted(ENQUEUE_COMMITTED);

    /** The default queue's attempts that node run {@code r} held at the moment {@code moment} (an SQL expression). */
    private static String busyAt(String moment) {
        return """
                (select count(*) from pgjobs.attempts a join pgjobs.jobs k on k.id = a.job_id
                 where k.queue = 'default' and a.node_id = r.node and a.started_at <= %1$s
                   and coalesce(a.finished_at, 'infinity') > %1$s)""".formatted(moment);
    }

    private final DataSource dataSource;
    /** Each node's concurrency for the default queue: its slots. */
    private final int concurrency;

    InvariantChecker(DataSource dataSource, int concurrency) {
        this.dataSource = dataSource;
        this.concurrency = concurrency;
    }

    List<Violation> check() throws SQLException {
        List<Violation> violations = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            for (var invariant : JOB_INVARIANTS.entrySet()) {
                try (PreparedStatement ps = c.prepareStatement(invariant.getValue()); ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String name = invariant.getKey().substring(invariant.getKey().indexOf(' ') + 1);
                        violations.add(new Violation(rs.getLong(1), name + ": " + rs.getString(2)));
                    }
                }
            }
            violations.addAll(cronFires(c));
            violations.addAll(waitsWithCapacityFree(c));
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

    /**
     * No {@code soak.work} job of the default queue waited longer than {@link #WAIT_BOUND} for its first start
     * (from {@link #WAITS_FROM}) while no fault was on (from a fault's start to its recovery) and, at the moment
     * it had waited that long, a warm node ({@link #NODE_RUNS}) held fewer of the queue's jobs than its slots. A job
     * that a node still cold had claimed by that moment is left out: its wait is that node's start-up, and no
     * other node could run it.
     */
    private List<Violation> waitsWithCapacityFree(Connection c) throws SQLException {
        List<Violation> violations = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                with %1$s,
                firsts as (
                    select j.id, min(x.at) as began, a.node_id as claimed_by, a.started_at as claimed_at,
                           %2$s as waits_from
                    from pgjobs.jobs j
                    join soak.executions x on x.job_id = j.id and x.attempt = 1
                    join pgjobs.attempts a on a.job_id = j.id and a.attempt = 1
                    where j.queue = 'default' and j.kind = 'soak.work'
                    group by j.id, j.created_at, a.node_id, a.started_at),
                late as (
                    select f.*, f.waits_from + make_interval(secs => ?) as bound from firsts f
                    where f.began > f.waits_from + make_interval(secs => ?)
                      and not exists (select 1 from soak.faults x
                                      where x.started_at < f.began
                                        and coalesce(x.recovered_at, 'infinity') > f.waits_from))
                select l.id, l.began - l.waits_from, free.node, free.warm_at, free.busy from late l
                cross join lateral (
                    select r.node, r.warm_at, %3$s as busy from node_runs r
                    where r.warm_at <= l.bound and r.ended_at > l.bound
                    order by busy, r.node limit 1) free
                where free.busy < ?
                  and not exists (select 1 from node_runs r
                                  where r.node = l.claimed_by and l.claimed_at <= l.bound
                                    and r.launched_at <= l.claimed_at and r.ended_at > l.claimed_at
                                    and coalesce(r.warm_at, 'infinity') > l.claimed_at)""".formatted(
                NODE_RUNS, WAITS_FROM, busyAt("l.bound")))) {
            ps.setLong(1, WAIT_BOUND.toSeconds());
            ps.setLong(2, WAIT_BOUND.toSeconds());
            ps.setInt(3, concurrency);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    violations.add(new Violation(rs.getLong(1), WAITED + ": waited " + rs.getString(2)
                            + " for its first start after its enqueue, outside faults, while " + rs.getString(3)
                            + " (running jobs since " + rs.getString(4) + ") held only " + rs.getLong(5) + " of its "
                            + concurrency + " slots after " + WAIT_BOUND.toSeconds() + " s"));
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
                            select kind, state, attempt, max_attempts, created_at, %s as enqueue_committed,
                                   %s as waits_from, started_at, finished_at, node_id, args::text, last_error
                            from pgjobs.jobs j where id = ?""".formatted(ENQUEUE_COMMITTED, WAITS_FROM), v.jobId());
                    printRows(c, out, "  attempt:  ", """
                            select attempt, node_id, started_at, finished_at, outcome, message from pgjobs.attempts
                            where job_id = ? order by attempt, started_at""", v.jobId());
                    printRows(c, out, "  run:      ", """
                            select attempt, node, checkpoint, at from soak.executions where job_id = ? order by at""", v.jobId());
                    if (v.what().startsWith(WAITED)) {
                        printRows(c, out, "  node:     ", """
                                with %s,
                                job as (select %s + make_interval(secs => ?) as bound,
                                               (select min(x.at) from soak.executions x where x.job_id = j.id) as began
                                        from pgjobs.jobs j where j.id = ?)
                                select r.node, r.launched_at, r.ready_at, r.warm_at, r.ended_at,
                                       %s as busy_at_bound
                                from node_runs r, job
                                where r.launched_at < job.began
                                  and r.ended_at > job.bound - make_interval(secs => ?)
                                order by r.node, r.launched_at""".formatted(NODE_RUNS, WAITS_FROM, busyAt("job.bound")),
                                WAIT_BOUND.toSeconds(), v.jobId(), WAIT_BOUND.toSeconds());
                    }
                }
            }
        }
    }

    private static void printRows(Connection c, PrintStream out, String prefix, String sql, Object... params)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
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
