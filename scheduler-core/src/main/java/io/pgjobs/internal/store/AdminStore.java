package io.pgjobs.internal.store;

import static io.pgjobs.internal.db.Tables.AUDIT_LOG;
import static io.pgjobs.internal.db.Tables.JOBS;
import static io.pgjobs.internal.db.Tables.NODES;
import static io.pgjobs.internal.db.Tables.QUEUES;

import io.pgjobs.Job;
import io.pgjobs.JobState;
import io.pgjobs.admin.AuditEntry;
import io.pgjobs.admin.AuditFilter;
import io.pgjobs.admin.Clocks;
import io.pgjobs.admin.Count;
import io.pgjobs.admin.DeadLetterGroup;
import io.pgjobs.admin.JobAction;
import io.pgjobs.admin.JobFilter;
import io.pgjobs.admin.NodeInfo;
import io.pgjobs.admin.Overview.LagPoint;
import io.pgjobs.admin.Overview.QueueLag;
import io.pgjobs.admin.Overview.StatsPoint;
import io.pgjobs.admin.PageRequest;
import io.pgjobs.admin.QueueInfo;
import io.pgjobs.admin.UnhandledKind;
import io.pgjobs.internal.values.ArgsPredicate;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.Record2;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * All SQL of the operator's API. Every read runs under a statement timeout and is bounded: pages walk the
 * primary key downwards from a cursor, counts stop at a cap, queue lag probes the runnable index once per
 * priority, and the charts read the per-minute {@code job_stats} that the completion statement maintains and
 * the per-minute {@code queue_lag} that the leader samples.
 * Plain-SQL fragments take every value from a user as a bind parameter. States and count limits are inlined
 * on purpose: a cached generic plan with a bound state cannot use the partial indexes, and one with a bound
 * limit cannot tell a capped count from a full one and picks a sequential scan.
 */
public final class AdminStore {
    /** Counts stop here and read as "at least". */
    public static final int COUNT_CAP = 10_000;
    /** Dead letters are grouped over this many of the most recent. */
    public static final int DEAD_LETTER_WINDOW = 10_000;
    /**
     * How many ids one page request of a filter that no index narrows searches at most. Ids are dense unless jobs
     * were deleted, so that is at most this many rows however few of them match: well under the dashboard's
     * 200 ms on a million jobs (docs/dashboard.md, "Measured").
     */
    public static final long SCAN_WINDOW = 100_000;
    /** States that an index lists on its own: running (V1's jobs_running) and the rare ones (V4's jobs_rare_states). */
    private static final Set<JobState> INDEXED_STATES = EnumSet.of(JobState.RUNNING, JobState.SCHEDULED,
            JobState.RETRYABLE, JobState.CANCELLED, JobState.DISCARDED);
    private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(5);
    /** The SQLSTATE of a unique index's violation. */
    private static final String UNIQUE_VIOLATION = "23505";
    /** The error with digits, long hex ids and UUIDs masked, so that failures alike group together. */
    private static final String PATTERN_SQL = """
            regexp_replace(regexp_replace(regexp_replace(coalesce(last_error, ''),
              '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', '<uuid>', 'g'),
              '\\m[0-9a-fA-F]*[0-9][0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\\M', '<hex>', 'g'),
              '[0-9]+', '#', 'g')""";

    /** An operator's action as the audit log records it; {@code detailJson} a JSON object. */
    public record Audit(String actor, String action, String target, String detailJson) {}

    private final DataSource dataSource;
    /** The longest any transaction of this store may run, or pause between statements (see Sql#inTransaction). */
    private final Duration transactionLimit;
    private final String schema;
    private final String notifyChannel;
    /** A node whose heartbeat is older than this counts as dead: the cluster's own setting. */
    private final Duration nodeDeadAfter;

    /** The one-job actions (retry, cancel, delete), which an operator's action runs in its own transaction. */
    private final JobStore jobs;

    public AdminStore(DataSource dataSource, String schema, String notifyChannel, Duration nodeDeadAfter,
                      Duration transactionLimit, JobStore jobs) {
        this.jobs = jobs;
        this.dataSource = dataSource;
        this.transactionLimit = transactionLimit;
        this.schema = schema;
        this.notifyChannel = notifyChannel;
        this.nodeDeadAfter = nodeDeadAfter;
    }

    /** Work on a jOOQ context bound to one connection. */
    @FunctionalInterface
    private interface Read<T> {
        T run(DSLContext dsl) throws SQLException;
    }

    /**
     * Runs a read in a transaction with pgjobs' statement timeout, so no page can hang the dashboard, and without
     * JIT compilation (see {@link Sql#inTransactionWithoutJit}).
     */
    private <T> T read(Read<T> read) throws SQLException {
        return Sql.inTransactionWithoutJit(dataSource, STATEMENT_TIMEOUT,
                connection -> read.run(Sql.dsl(connection, schema)));
    }

    // ---- jobs ----------------------------------------------------------------------------------------------

    /**
     * Matching jobs, newest first, and {@code searchedTo}: null when the search covered every id below the
     * cursor, else the lowest id it covered (it stopped there with the page not full, and the next page starts
     * below it).
     */
    public record Scan(List<Job> jobs, Long searchedTo) {}

    /**
     * A page of matching jobs. A filter that an index narrows walks that index until the page is full. Any other
     * filter scans at most {@link #SCAN_WINDOW} ids below the cursor, because it may match few rows (or none)
     * and would otherwise read the table until the page is full or the statement timeout ends it.
     */
    public Scan jobs(JobFilter filter, PageRequest page) throws SQLException {
        return read(dsl -> {
            var matching = dsl.selectFrom(JOBS).where(condition(filter)).and(below(page.beforeId()));
            if (indexNarrows(filter)) {
                return new Scan(matching.orderBy(JOBS.ID.desc()).limit(page.limit()).fetch(JobRows::toJob), null);
            }
            // both are one probe of the primary key
            Record2<Long, Long> bounds = dsl.select(DSL.min(JOBS.ID), DSL.max(JOBS.ID)).from(JOBS).fetchOne();
            Long oldest = bounds.value1();
            long top = page.beforeId() != null ? page.beforeId() : oldest == null ? 0 : bounds.value2() + 1;
            if (oldest == null || top <= oldest) {
                return new Scan(List.of(), null);
            }
            long from = Math.max(oldest, top - SCAN_WINDOW);
            List<Job> rows = matching.and(JOBS.ID.ge(from)).orderBy(JOBS.ID.desc()).limit(page.limit())
                    .fetch(JobRows::toJob);
            return new Scan(rows, from > oldest ? from : null);
        });
    }

    /**
     * Whether an index finds the filter's jobs without reading the others: only states that an index lists, or a
     * lower bound on the finish time (V1's jobs_finished), or a dead-letter group (discarded jobs). Queue, kind, tag, args and creation time have no index
     * that a listing by id can use.
     */
    private static boolean indexNarrows(JobFilter f) {
        return (!f.states().isEmpty() && INDEXED_STATES.containsAll(f.states())) || f.finishedFrom() != null
                || f.deadLetterGroup() != null;
    }

    public List<Long> matchingIds(JobFilter filter, Long cursor, int limit) throws SQLException {
        return read(dsl -> dsl.select(JOBS.ID).from(JOBS).where(condition(filter)).and(below(cursor))
                .orderBy(JOBS.ID.desc()).limit(limit).fetch(JOBS.ID));
    }

    public Count count(JobFilter filter, int cap) throws SQLException {
        long n = read(dsl -> dsl.fetchCount(dsl.selectOne().from(JOBS).where(condition(filter)).limit(DSL.inline(cap + 1))));
        return capped(n, cap);
    }

    private static Condition below(Long id) {
        return id == null ? DSL.noCondition() : JOBS.ID.lt(id);
    }

    private static Condition condition(JobFilter f) {
        Condition c = DSL.noCondition();
        if (!f.states().isEmpty()) {
            // inlined (they come from the enum) so that the planner can match the partial indexes on states
            c = c.and(JOBS.STATE.in(f.states().stream().map(s -> DSL.inline(s.dbName())).toList()));
        }
        if (notBlank(f.queue())) {
            c = c.and(JOBS.QUEUE.eq(f.queue()));
        }
        if (notBlank(f.kind())) {
            c = c.and(JOBS.KIND.eq(f.kind()));
        }
        if (notBlank(f.tag())) {
            c = c.and(DSL.condition("{0} @> array[{1}]::text[]", JOBS.TAGS, DSL.val(f.tag())));
        }
        if (f.createdFrom() != null) {
            c = c.and(JOBS.CREATED_AT.ge(f.createdFrom().atOffset(ZoneOffset.UTC)));
        }
        if (f.createdTo() != null) {
            c = c.and(JOBS.CREATED_AT.lt(f.createdTo().atOffset(ZoneOffset.UTC)));
        }
        if (f.finishedFrom() != null) {
            c = c.and(JOBS.FINISHED_AT.ge(f.finishedFrom().atOffset(ZoneOffset.UTC)));
        }
        if (f.finishedTo() != null) {
            c = c.and(JOBS.FINISHED_AT.lt(f.finishedTo().atOffset(ZoneOffset.UTC)));
        }
        if (notBlank(f.args())) {
            for (ArgsPredicate.Term term : ArgsPredicate.parse(f.args().strip()).terms()) {
                Condition contains = DSL.condition("{0} @> {1}::jsonb", JOBS.ARGS, DSL.val(term.containedJson()));
                c = c.and(term.negated() ? DSL.not(contains) : contains);
            }
        }
        if (f.deadLetterGroup() != null) {
            c = c.and(JOBS.STATE.eq(DSL.inline(JobState.DISCARDED.dbName())))
                    .and(DSL.condition("md5(" + PATTERN_SQL + ") = {0}", DSL.val(f.deadLetterGroup())));
        }
        return c;
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    private static Count capped(long n, int cap) {
        return n > cap ? new Count(cap, true) : new Count(n, false);
    }

    // ---- overview and queues -------------------------------------------------------------------------------

    /**
     * Jobs per state, each counted up to {@link #COUNT_CAP}: running and the rare states (V4's jobs_rare_states)
     * are index-only scans, available goes through the runnable index, and completed rows are so common that a
     * scan meets the cap at once.
     */
    public Map<JobState, Count> stateCounts() throws SQLException {
        return read(dsl -> {
            Map<JobState, Count> counts = new EnumMap<>(JobState.class);
            for (JobState state : JobState.values()) {
                long n = dsl.fetchCount(dsl.selectOne().from(JOBS).where(JOBS.STATE.eq(DSL.inline(state.dbName())))
                        .limit(DSL.inline(COUNT_CAP + 1)));
                counts.put(state, capped(n, COUNT_CAP));
            }
            return counts;
        });
    }

    /** Jobs per queue and per kind, biggest first, among some of the newest jobs. */
    public record Facets(Map<String, Long> queues, Map<String, Long> kinds) {}

    /**
     * Jobs per queue and per kind among the newest {@code window} jobs: a backward walk of the primary key, so its
     * cost does not grow with the table.
     */
    public Facets recentFacets(int window) throws SQLException {
        String sql = """
                select queue, kind, count(*) as jobs
                from (select queue, kind from %1$s.jobs order by id desc limit %2$d) recent
                group by grouping sets ((queue), (kind))
                order by count(*) desc, queue, kind
                """.formatted(schema, window);
        Map<String, Long> queues = new LinkedHashMap<>();
        Map<String, Long> kinds = new LinkedHashMap<>();
        for (Record r : read(dsl -> dsl.resultQuery(sql).fetch())) {
            String queue = r.get("queue", String.class);
            if (queue != null) {
                queues.put(queue, r.get("jobs", Long.class));
            } else {
                kinds.put(r.get("kind", String.class), r.get("jobs", Long.class));
            }
        }
        return new Facets(queues, kinds);
    }

    public Instant now() throws SQLException {
        return read(dsl -> dsl.select(DSL.currentOffsetDateTime()).fetchOne().value1().toInstant());
    }

    /** The database's {@code now()} and the schedules' clock (V33's {@code schedule_clock()}), in one statement. */
    public Clocks clocks() throws SQLException {
        return read(dsl -> {
            var clocks = dsl.select(DSL.currentOffsetDateTime(),
                    DSL.function(DSL.name(schema, "schedule_clock"), SQLDataType.TIMESTAMPWITHTIMEZONE)).fetchSingle();
            return new Clocks(clocks.value1().toInstant(), clocks.value2().toInstant());
        });
    }

    /**
     * Every queue worth showing (see {@link QueueSql#queueSnapshot}) with its settings, and what the live nodes
     * working it registered (their concurrency, summed, and the flow control of the newest), by name.
     */
    public List<QueueInfo> queues() throws SQLException {
        String sql = """
                select s.name, s.waiting, s.running, s.lag_ms, q.concurrency_limit, coalesce(q.paused, false) as paused,
                       q.max_depth
                from (%2$s) s left join %1$s.queues q on q.name = s.name
                order by s.name
                """.formatted(schema, QueueSql.queueSnapshot(schema));
        return read(dsl -> {
            Map<String, List<FlowAdminStore.NodeQueue>> live = FlowAdminStore.liveSettings(dsl, schema, nodeDeadAfter);
            Map<String, List<QueueInfo.PollingNode>> polling = pollingNodes(dsl);
            return dsl.resultQuery(sql).fetch(r -> {
                String name = r.get("name", String.class);
                List<FlowAdminStore.NodeQueue> nodes = live.getOrDefault(name, List.of());
                return new QueueInfo(name, capped(r.get("waiting", Long.class), QueueSql.WAITING_CAP),
                        r.get("running", Long.class), Duration.ofMillis(r.get("lag_ms", Long.class)),
                        r.get("concurrency_limit", Integer.class), r.get("paused", Boolean.class),
                        r.get("max_depth", Integer.class),
                        nodes.isEmpty() ? null : nodes.stream().mapToInt(FlowAdminStore.NodeQueue::concurrency).sum(),
                        nodes.isEmpty() ? null : nodes.getFirst().flow(), polling.getOrDefault(name, List.of()));
            });
        });
    }

    /**
     * The nodes whose promise to poll a queue on their own holds now (V43's busy_queues, whose rows of ended
     * promises stay a minute or so), by queue, each queue's by node.
     */
    private Map<String, List<QueueInfo.PollingNode>> pollingNodes(DSLContext dsl) {
        String sql = "select queue, node_id, polls_until from %s.busy_queues where polls_until > clock_timestamp() "
                + "order by queue, node_id";
        Map<String, List<QueueInfo.PollingNode>> polling = new HashMap<>();
        dsl.resultQuery(sql.formatted(schema)).forEach(r -> polling.computeIfAbsent(r.get("queue", String.class),
                q -> new ArrayList<>()).add(new QueueInfo.PollingNode(r.get("node_id", String.class),
                r.get("polls_until", OffsetDateTime.class).toInstant())));
        return polling;
    }

    /** Finished attempts per {@code bucket} over the last {@code span}, one point per bucket, oldest first. */
    public List<StatsPoint> stats(Duration span, Duration bucket) throws SQLException {
        return finishedAttempts(span, bucket, false).get("");
    }

    /**
     * {@link #stats} per queue, by queue name: a point for each bucket, for each queue that finished attempts in
     * the span (a key range of job_stats, as the overview's).
     */
    public Map<String, List<StatsPoint>> queueStats(Duration span, Duration bucket) throws SQLException {
        return finishedAttempts(span, bucket, true);
    }

    /**
     * Finished attempts per bucket, one point per bucket, oldest first: per queue when {@code perQueue} (for the
     * queues that finished attempts in the span), else for all queues together under the name "" (a point for
     * every bucket, even when nothing finished).
     */
    private Map<String, List<StatsPoint>> finishedAttempts(Duration span, Duration bucket, boolean perQueue)
            throws SQLException {
        String sql = bucketed("""
                with totals as (
                    select {key} as key, date_bin(%2$s, s.minute, timestamptz '2000-01-01') as start,
                           sum(s.jobs) filter (where s.state = 'completed') as completed,
                           sum(s.jobs) filter (where s.state = 'retryable') as failed,
                           sum(s.jobs) filter (where s.state = 'discarded') as discarded,
                           sum(s.jobs) filter (where s.state = 'cancelled') as cancelled,
                           sum(s.jobs) filter (where s.state in ('scheduled', 'available')) as other,
                           sum(s.duration_ms) / nullif(sum(s.jobs), 0) as average_ms
                    from %1$s.job_stats s where s.minute >= %3$s
                    group by 1, 2
                )
                select k.key, b.start, coalesce(t.completed, 0) as completed, coalesce(t.failed, 0) as failed,
                       coalesce(t.discarded, 0) as discarded, coalesce(t.cancelled, 0) as cancelled,
                       coalesce(t.other, 0) as other, coalesce(t.average_ms, 0) as average_ms
                from {keys} k
                cross join generate_series(%3$s, date_bin(%2$s, now(), timestamptz '2000-01-01'), %2$s) b(start)
                left join totals t on t.key = k.key and t.start = b.start
                order by k.key, b.start
                """.replace("{key}", perQueue ? "s.queue" : "''::text")
                .replace("{keys}", perQueue ? "(select distinct key from totals)" : "(select ''::text as key)"),
                span, bucket);
        Map<String, List<StatsPoint>> byKey = new LinkedHashMap<>();
        for (Record r : read(dsl -> dsl.resultQuery(sql).fetch())) {
            byKey.computeIfAbsent(r.get("key", String.class), key -> new ArrayList<>()).add(new StatsPoint(
                    r.get("start", OffsetDateTime.class).toInstant(), r.get("completed", Long.class),
                    r.get("failed", Long.class), r.get("discarded", Long.class), r.get("cancelled", Long.class),
                    r.get("other", Long.class), r.get("average_ms", Long.class)));
        }
        return byKey;
    }

    /**
     * Each sampled queue's lag per {@code bucket} over the last {@code span}, by queue name, from the leader's
     * per-minute samples (V6's queue_lag, a key range of it): the largest values of each bucket, only for the
     * buckets with samples, oldest first. The buckets are those of {@link #stats}.
     */
    public List<QueueLag> queueLag(Duration span, Duration bucket) throws SQLException {
        String sql = bucketed("""
                select l.queue, date_bin(%2$s, l.minute, timestamptz '2000-01-01') as start, max(l.lag_ms) as lag_ms,
                       max(l.waiting) as waiting, max(l.running) as running
                from %1$s.queue_lag l where l.minute >= %3$s
                group by 1, 2
                order by 1, 2
                """, span, bucket);
        Map<String, List<LagPoint>> byQueue = new LinkedHashMap<>();
        for (Record r : read(dsl -> dsl.resultQuery(sql).fetch())) {
            byQueue.computeIfAbsent(r.get("queue", String.class), queue -> new ArrayList<>()).add(new LagPoint(
                    r.get("start", OffsetDateTime.class).toInstant(), r.get("lag_ms", Long.class),
                    capped(r.get("waiting", Long.class), QueueSql.WAITING_CAP), r.get("running", Long.class)));
        }
        return byQueue.entrySet().stream().map(e -> new QueueLag(e.getKey(), List.copyOf(e.getValue()))).toList();
    }

    /**
     * Fills in a chart query: {@code %1$s} is the schema, {@code %2$s} the width of a bucket, {@code %3$s} the
     * start of the first one (the last one holds now). The first start is written out (not taken from a
     * CTE) so that the planner sees a range on the key, and the intervals are literals (whole seconds from a
     * Duration) so that no cached generic plan replaces the parallel aggregation a day of statistics needs.
     */
    private String bucketed(String sql, Duration span, Duration bucket) {
        String width = "'" + bucket.toSeconds() + " seconds'::interval";
        String first = "date_bin(%1$s, now(), timestamptz '2000-01-01') - '%2$d seconds'::interval + %1$s"
                .formatted(width, span.toSeconds());
        return sql.formatted(schema, width, first);
    }

    /**
     * What removing a queue's settings did: refused while live nodes work it, else whether it had settings, and
     * whether the queue is one at all (it had settings, jobs, a node working it or recent work).
     */
    public record QueueRemoval(List<String> workingNodes, boolean removed, boolean known) {}

    /**
     * Pauses or resumes {@code queue}, and audits it in the same transaction; returns false, changing nothing,
     * when the queue list ({@link QueueSql#queueSnapshot}) does not show it: it has no runnable or running jobs,
     * no row in {@code queues}, no live node working it and no work in the last hour.
     */
    public boolean setQueuePaused(String queue, boolean paused, Audit audit) throws SQLException {
        return inTransaction(dsl -> {
            if (!queueKnown(dsl, queue)) {
                return false;
            }
            setQueuePaused(dsl, queue, paused);
            audit(dsl, audit);
            return true;
        });
    }

    private boolean queueKnown(DSLContext dsl, String queue) {
        String sql = """
                select exists(select 1 from {jobs} where queue = ? and ({runnable} or state = 'running'))
                    or exists(select 1 from {queues} where name = ?)
                    or exists(select 1 from {nodes} where stopped_at is null and ? = any(queues))
                    or exists(select 1 from {stats} where minute >= now() - interval '1 hour' and queue = ?)
                """.replace("{jobs}", schema + ".jobs").replace("{queues}", schema + ".queues")
                .replace("{nodes}", schema + ".nodes").replace("{stats}", schema + ".job_stats")
                .replace("{runnable}", QueueSql.RUNNABLE);
        return dsl.resultQuery(sql, queue, queue, queue, queue).fetchOne().get(0, Boolean.class);
    }

    /**
     * Deletes the queue's settings (paused, limit) unless a live node (not stopped) works it, auditing a removal
     * in the same transaction.
     */
    public QueueRemoval removeQueue(String queue, Audit audit) throws SQLException {
        return inTransaction(dsl -> {
            List<String> working = dsl.select(NODES.ID).from(NODES).where(NODES.STOPPED_AT.isNull())
                    .and(DSL.val(queue).eq(DSL.any(NODES.QUEUES))).orderBy(NODES.ID).fetch(NODES.ID);
            if (!working.isEmpty()) {
                return new QueueRemoval(working, false, true);
            }
            boolean removed = dsl.deleteFrom(QUEUES).where(QUEUES.NAME.eq(queue)).execute() > 0;
            if (removed) {
                audit(dsl, audit);
            }
            return new QueueRemoval(List.of(), removed, removed || queueKnown(dsl, queue));
        });
    }

    private void setQueuePaused(DSLContext dsl, String queue, boolean paused) {
        dsl.insertInto(QUEUES).set(QUEUES.NAME, queue).set(QUEUES.PAUSED, paused)
                .onConflict(QUEUES.NAME).doUpdate().set(QUEUES.PAUSED, paused)
                .set(QUEUES.UPDATED_AT, DSL.currentOffsetDateTime()).execute();
        if (!paused) {
            notify(dsl, "q:" + queue);
        }
    }

    // ---- actions on jobs ---------------------------------------------------------------------------------------

    /** What an action on some jobs did: the ids it changed, and the jobs it cancelled before they started. */
    public record Acted(List<Long> changed, Map<Long, JobStore.Cancellation> cancelledBeforeStart) {}

    /**
     * Applies {@code action} to each of {@code ids}, exactly as {@code JobClient}'s retry, cancel and delete do,
     * and writes the audit entry {@code audit} makes of the ids it changed, in one transaction: an operator's
     * action and its audit entry commit together or not at all.
     */
    public Acted act(JobAction action, List<Long> ids, Function<List<Long>, Audit> audit) throws SQLException {
        return inTransaction(dsl -> {
            List<Long> changed = new ArrayList<>();
            Map<Long, JobStore.Cancellation> cancelledBeforeStart = new LinkedHashMap<>();
            for (long id : ids) {
                boolean applied = switch (action) {
                    case RETRY -> retryHoldingItsKey(dsl, id);
                    case DELETE -> jobs.delete(dsl, id);
                    case CANCEL -> {
                        JobStore.Cancellation cancellation = jobs.cancel(dsl, id);
                        if (cancellation.beforeStart()) {
                            cancelledBeforeStart.put(id, cancellation);
                        }
                        yield cancellation.applied();
                    }
                };
                if (applied) {
                    changed.add(id);
                }
            }
            audit(dsl, audit.apply(changed));
            return new Acted(changed, cancelledBeforeStart);
        });
    }

    /**
     * Retries one job; a unique job whose key another job took meanwhile (see V17) cannot be, and the action
     * fails with a message saying so, rolling back with its audit entry.
     */
    private boolean retryHoldingItsKey(DSLContext dsl, long id) {
        try {
            return jobs.retry(dsl, id);
        } catch (DataAccessException e) {
            if (UNIQUE_VIOLATION.equals(e.sqlState())) {
                throw new IllegalStateException("job " + id + " cannot be retried: it is unique, and another job"
                        + " of the same kind, queue and args holds its unique key now", e);
            }
            throw e;
        }
    }

    // ---- dead letters ----------------------------------------------------------------------------------------

    public List<DeadLetterGroup> deadLetters() throws SQLException {
        String sql = """
                with recent as (
                    select id, finished_at, split_part(coalesce(last_error, ''), ':', 1) as error_class,
                           %2$s as pattern
                    from %1$s.jobs where state = 'discarded' order by id desc limit ?
                )
                select md5(pattern) as fingerprint, min(error_class) as error_class, pattern, count(*) as jobs,
                       max(id) as latest, max(finished_at) as last_failed_at
                from recent group by pattern order by count(*) desc, max(id) desc limit 200
                """.formatted(schema, PATTERN_SQL);
        return read(dsl -> dsl.resultQuery(sql, DEAD_LETTER_WINDOW).fetch(r -> new DeadLetterGroup(
                r.get("fingerprint", String.class), r.get("error_class", String.class), r.get("pattern", String.class),
                r.get("jobs", Long.class), r.get("latest", Long.class),
                Sql.instant(r.get("last_failed_at", OffsetDateTime.class)))));
    }

    /** The newest {@code limit} dead letters whose fingerprint is {@code fingerprint}. */
    public List<Long> deadLetterIds(String fingerprint, int limit) throws SQLException {
        String sql = "select id from %1$s.jobs where state = 'discarded' and md5(%2$s) = ? order by id desc limit ?"
                .formatted(schema, PATTERN_SQL);
        return read(dsl -> dsl.resultQuery(sql, fingerprint, limit).fetch(r -> r.get(0, Long.class)));
    }

    // ---- nodes --------------------------------------------------------------------------------------------

    public List<NodeInfo> nodes() throws SQLException {
        var alive = DSL.field(NODES.STOPPED_AT.isNull().and(NODES.HEARTBEAT_AT.gt(
                DSL.currentOffsetDateTime().minus(DSL.field("?::interval", Object.class, nodeDeadAfter.toMillis() + " milliseconds")))));
        var running = DSL.field(DSL.selectCount().from(JOBS).where(JOBS.STATE.eq(JobState.RUNNING.dbName()))
                .and(JOBS.NODE_ID.eq(NODES.ID)));
        return read(dsl -> {
            Map<String, Map<String, Integer>> concurrency = FlowAdminStore.concurrencyByNode(dsl, schema);
            return dsl.select(NODES.asterisk(), alive, running).from(NODES)
                    .orderBy(NODES.STOPPED_AT.isNull().desc(), NODES.HEARTBEAT_AT.desc()).limit(500)
                    .fetch(r -> new NodeInfo(r.get(NODES.ID), r.get(NODES.HOST), r.get(NODES.PID), r.get(NODES.VERSION),
                            List.of(r.get(NODES.QUEUES)), List.of(r.get(NODES.KINDS)), Sql.instant(r.get(NODES.STARTED_AT)),
                            Sql.instant(r.get(NODES.HEARTBEAT_AT)), Sql.instant(r.get(NODES.STOPPED_AT)), r.get(alive),
                            Sql.instant(r.get(NODES.LEADER_SINCE)), r.get(running),
                            concurrency.getOrDefault(r.get(NODES.ID), Map.of())));
        });
    }

    /** Due jobs no live node can claim, per queue and kind (see {@link QueueSql#unhandledKinds}). */
    public List<UnhandledKind> unhandledKinds() throws SQLException {
        String sql = QueueSql.unhandledKinds(schema);
        return read(dsl -> dsl.resultQuery(sql, nodeDeadAfter.toMillis()).fetch(r -> new UnhandledKind(
                r.get("queue", String.class), r.get("kind", String.class), r.get("jobs", Long.class))));
    }

    // ---- audit -------------------------------------------------------------------------------------------------

    static void audit(DSLContext dsl, Audit audit) {
        dsl.insertInto(AUDIT_LOG).set(AUDIT_LOG.ACTOR, audit.actor()).set(AUDIT_LOG.ACTION, audit.action())
                .set(AUDIT_LOG.TARGET, audit.target()).set(AUDIT_LOG.DETAIL, JSONB.valueOf(audit.detailJson()))
                .execute();
    }

    public List<AuditEntry> audit(AuditFilter filter, PageRequest page) throws SQLException {
        Condition c = page.beforeId() == null ? DSL.noCondition() : AUDIT_LOG.ID.lt(page.beforeId());
        if (filter.actor() != null) {
            c = c.and(AUDIT_LOG.ACTOR.eq(filter.actor()));
        }
        if (filter.action() != null) {
            c = c.and(AUDIT_LOG.ACTION.eq(filter.action()));
        }
        if (filter.from() != null) {
            c = c.and(AUDIT_LOG.AT.ge(filter.from().atOffset(ZoneOffset.UTC)));
        }
        if (filter.to() != null) {
            c = c.and(AUDIT_LOG.AT.lt(filter.to().atOffset(ZoneOffset.UTC)));
        }
        Condition matching = c;
        return read(dsl -> dsl.selectFrom(AUDIT_LOG).where(matching)
                .orderBy(AUDIT_LOG.ID.desc()).limit(page.limit())
                .fetch(r -> new AuditEntry(r.getId(), Sql.instant(r.getAt()), r.getActor(), r.getAction(),
                        r.getTarget(), r.getDetail().data())));
    }

    /**
     * Runs an operator's {@code action} and writes the audit entry {@code audit} makes of its outcome, in one
     * transaction: both commit or neither. The action is the other stores' work on the transaction's connection
     * (their methods that take a caller's {@code Connection}); an empty audit means it found nothing to act on,
     * and nothing is audited. Their notifications are sent at the commit; what the caller reports of the action
     * (metrics, events) it reports once this has returned, so a rolled-back action is never reported.
     */
    public <T> T audited(Sql.Work<T> action, Function<? super T, Optional<Audit>> audit) throws SQLException {
        return transaction(connection -> {
            T done = action.run(connection);
            Optional<Audit> entry = audit.apply(done);
            if (entry.isPresent()) {
                audit(Sql.dsl(connection, schema), entry.get());
            }
            return done;
        });
    }

    /** Runs {@code work} in one transaction (an action and its audit entry commit together). */
    private <T> T inTransaction(Read<T> work) throws SQLException {
        return transaction(connection -> work.run(Sql.dsl(connection, schema)));
    }

    /**
     * Runs {@code work} in one transaction. A statement's failure comes out as the {@link SQLException} jOOQ
     * wrapped, so that callers report it as pgjobs' own error.
     */
    private <T> T transaction(Sql.Work<T> work) throws SQLException {
        return Sql.inTransaction(dataSource, transactionLimit, Sql.unwrappingJooq(work));
    }

    private void notify(DSLContext dsl, String payload) {
        Sql.notify(dsl, notifyChannel, payload);
    }
}
