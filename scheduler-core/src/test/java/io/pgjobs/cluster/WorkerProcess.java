package io.pgjobs.cluster;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.CircuitBreaker;
import io.pgjobs.JobContext;
import io.pgjobs.JobKind;
import io.pgjobs.NonRetryableException;
import io.pgjobs.OrderedKeys;
import io.pgjobs.PartitionKey;
import io.pgjobs.RateLimit;
import io.pgjobs.Scheduler;
import io.pgjobs.testing.PgDatabase;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

/**
 * A pgjobs node in a JVM of its own, for the crash tests: they start it with {@link WorkerLauncher}, kill it,
 * freeze it, and check the database afterwards. Every handler first writes a side-effect row
 * {@code runs(job_id, node)} in the same database (in its own transaction, like a real side effect).
 *
 * <p>Arguments: JDBC URL (with credentials), node id, lease ms, node-dead-after ms, concurrency, shutdown
 * deadline ms, then any of these options:
 * <ul>
 *   <li>{@link #HOLD_COMPLETION};</li>
 *   <li>{@code limited}: the node also works the queue {@code limited} under a global limit of
 *       {@link #LIMITED_QUEUE_LIMIT} and one job per key at a time, whose handlers log when they start and end
 *       in the table {@code flow_runs} ({@link HandlerRuns}, database time);</li>
 *   <li>{@code shared}: the same queue and handlers under the global limit alone (no limit per key), which the
 *       nodes share by leased shares (docs/flow-control.md, "Shares of a queue limit");</li>
 *   <li>{@code partitioned}: the same handlers for the queue {@code partitioned} under one job per key alone
 *       (which claims ahead of its free slots);</li>
 *   <li>{@code ordered}: the queue {@code ordered} with ordered keys, whose handlers log the same way in
 *       {@code ordered_runs} and fail their first attempts as their args say;</li>
 *   <li>{@code rated}: the queue {@code rated} under a rate of {@link #RATE_PER_SECOND} starts a second, with a
 *       burst of {@link #RATE_BURST};</li>
 *   <li>{@code circuit}: the kind {@code test.flaky} behind a circuit breaker ({@link #CIRCUIT}), whose handlers
 *       fail while {@code flaky_partner.down} is true;</li>
 *   <li>{@code tenant-circuit}: the kind {@code test.tenant} behind a circuit per tenant ({@link #TENANT_CIRCUIT}),
 *       whose handlers hold their worker for the job's {@code millis} and then its tenant's
 *       {@code tenant_partners.hold_ms}, and fail while the tenant's {@code down} is true.</li>
 * </ul>
 * With {@code ordered}, {@code circuit} or {@code tenant-circuit}, a failed attempt is retried after {@link #RETRY_DELAY}. SIGTERM closes
 * the scheduler gracefully (pending completions are written) before the JVM exits.
 */
public final class WorkerProcess {
    /**
     * The test hook that holds the node's first completion transaction open: after the completion's statements
     * ran, its commit prints {@link #COMPLETION_HELD} and waits for a line on stdin
     * ({@link WorkerLauncher#release}), so a test can freeze the node exactly there.
     */
    static final String HOLD_COMPLETION = "hold-completion";
    static final String COMPLETION_HELD = "completion transaction held open";

    /** Runs once: records the run and returns. */
    @JobKind("test.count")
    public record Count(int n) {}

    /** Records the run, then fails for good (a saga step that sets off its compensations). */
    @JobKind("test.fail")
    public record Fail(int n) {}

    /** Records the run, then holds its worker for {@code millis} (a long job, to be caught mid-flight). */
    @JobKind("test.hold")
    public record Hold(long millis) {}

    /**
     * Saves a checkpoint naming this node and some progress, records the run, then holds its worker for
     * {@code millis}: a job whose next attempt should resume from that checkpoint.
     */
    @JobKind("test.checkpointed")
    public record Checkpointed(long millis) {}

    /** Records its start, holds its worker for {@code millis}, records its end (queue {@code limited}). */
    @JobKind("test.limited")
    public record Limited(String key, int n, long millis) {}

    /** The cluster-wide limit of the queue {@code limited}. */
    static final int LIMITED_QUEUE_LIMIT = 3;

    /** Logs its start and end, holds its worker for {@code millis}, and fails its first {@code failures} attempts. */
    @JobKind("test.ordered")
    public record Ordered(String key, int seq, int failures, long millis) {}

    /** Does nothing (queue {@code rated}): its attempts' start times are what counts. */
    @JobKind("test.rated")
    public record Rated(int n) {}

    /** The cluster-wide rate of the queue {@code rated}, per second. */
    static final int RATE_PER_SECOND = 200;
    /**
     * Its burst: with a burst of 1, each claim that comes later than the next start was due loses that delay for
     * good, and claims on a loaded machine come late (docs/flow-control.md#rate-limits); 100 starts (half a
     * second) let them catch up after a node's threads waited that long for a core.
     */
    static final int RATE_BURST = 100;

    /** Holds its worker for {@code millis}, then fails while the partner is down. */
    @JobKind("test.flaky")
    public record Flaky(int n, long millis) {}

    /** The breaker of {@code test.flaky}: the cool-down is long enough for a test to watch the circuit open. */
    static final CircuitBreaker CIRCUIT = CircuitBreaker.afterConsecutiveFailures(5).coolDown(Duration.ofSeconds(3));

    /** Holds its worker for {@code millis} and its tenant's hold, then fails while its tenant's partner is down. */
    @JobKind("test.tenant")
    public record TenantCall(String tenant, int n, long millis) {}

    /** The breaker of {@code test.tenant}: a circuit per tenant. */
    static final CircuitBreaker TENANT_CIRCUIT = CircuitBreaker.afterConsecutiveFailures(3)
            .coolDown(Duration.ofSeconds(2)).perPartition(PartitionKey.args("tenant"));

    static final Duration RETRY_DELAY = Duration.ofMillis(20);

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String nodeId = args[1];
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(url);
        pool.addDataSourceProperty("options", "-c TimeZone=" + PgDatabase.SESSION_TIME_ZONE);
        // tests tell this worker's sessions on the server by it (pg_stat_activity.application_name)
        pool.addDataSourceProperty("ApplicationName", nodeId);
        pool.setMaximumPoolSize(24);
        pool.setMinimumIdle(0);
        pool.setPoolName("worker-" + nodeId);
        HikariDataSource dataSource = new HikariDataSource(pool);
        Set<String> options = Set.of(Arrays.copyOfRange(args, 6, args.length));
        boolean holdCompletion = options.contains(HOLD_COMPLETION);
        Scheduler.Builder builder = Scheduler.builder(holdCompletion ? holdingFirstCompletion(dataSource) : dataSource)
                .nodeId(nodeId)
                .migrateOnStart(false)
                .leaseDuration(Duration.ofMillis(Long.parseLong(args[2])))
                .nodeDeadAfter(Duration.ofMillis(Long.parseLong(args[3])))
                .queue("default", Integer.parseInt(args[4]))
                .shutdownDeadline(Duration.ofMillis(Long.parseLong(args[5])))
                .pollInterval(Duration.ofMillis(200))
                .handler(Count.class, ctx -> {
                    recordRun(dataSource, ctx.jobId(), nodeId);
                    // a little work per job keeps the run long enough that the kill and the restart land mid-run
                    Thread.sleep(3);
                    return null;
                })
                .handler(Fail.class, ctx -> {
                    recordRun(dataSource, ctx.jobId(), nodeId);
                    throw new NonRetryableException("step " + ctx.args().n() + " fails for good");
                })
                .handler(Hold.class, ctx -> {
                    recordRun(dataSource, ctx.jobId(), nodeId);
                    Thread.sleep(ctx.args().millis());
                    return null;
                })
                .handler(Checkpointed.class, ctx -> {
                    ctx.checkpoint("saved by " + nodeId);
                    ctx.progress(50, "half way on " + nodeId);
                    recordRun(dataSource, ctx.jobId(), nodeId);
                    Thread.sleep(ctx.args().millis());
                    return null;
                });
        int concurrency = Integer.parseInt(args[4]);
        if (options.contains("limited") || options.contains("shared")) {
            builder.queue("limited", concurrency).queueLimit("limited", LIMITED_QUEUE_LIMIT);
            if (options.contains("limited")) {
                builder.partitionLimit("limited", PartitionKey.args("key"), 1);
            }
        }
        if (options.contains("partitioned")) { // a partition limit alone: the queue claims ahead
            builder.queue("partitioned", concurrency).partitionLimit("partitioned", PartitionKey.args("key"), 1);
        }
        if (options.contains("limited") || options.contains("shared") || options.contains("partitioned")) {
            builder.handler(Limited.class, ctx -> {
                long run = logStart(dataSource, "flow_runs", ctx, nodeId, ctx.args().key(), ctx.args().n());
                Thread.sleep(ctx.args().millis());
                logEnd(dataSource, "flow_runs", run);
                return null;
            });
        }
        if (options.contains("ordered")) {
            builder.queue("ordered", concurrency)
                    .orderedKeys("ordered", OrderedKeys.BLOCK_WHEN_DISCARDED)
                    .handler(Ordered.class, ctx -> {
                        Ordered job = ctx.args();
                        long run = logStart(dataSource, "ordered_runs", ctx, nodeId, job.key(), job.seq());
                        Thread.sleep(job.millis());
                        logEnd(dataSource, "ordered_runs", run);
                        if (ctx.attempt() <= job.failures()) {
                            throw new IllegalStateException(job.key() + " #" + job.seq() + " fails attempt " + ctx.attempt());
                        }
                        return null;
                    });
        }
        if (options.contains("rated")) {
            builder.queue("rated", RATE_BURST) // so that one claim can take a whole burst
                    .rateLimit("rated", RateLimit.of(RATE_PER_SECOND, Duration.ofSeconds(1)).burst(RATE_BURST))
                    .handler(Rated.class, ctx -> null);
        }
        if (options.contains("circuit")) {
            builder.handler(Flaky.class, ctx -> {
                        Thread.sleep(ctx.args().millis());
                        if (partnerDown(dataSource)) {
                            throw new IllegalStateException("partner down (job " + ctx.args().n() + ")");
                        }
                        return null;
                    })
                    .circuitBreaker("test.flaky", CIRCUIT);
        }
        if (options.contains("tenant-circuit")) {
            builder.handler(TenantCall.class, ctx -> {
                        Thread.sleep(ctx.args().millis());
                        return tenantCall(dataSource, ctx.args().tenant());
                    })
                    .circuitBreaker("test.tenant", TENANT_CIRCUIT);
        }
        if (options.contains("ordered") || options.contains("circuit") || options.contains("tenant-circuit")) {
            builder.retryPolicy(attempt -> RETRY_DELAY);
        }
        Scheduler scheduler = builder.build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            scheduler.close();
            dataSource.close();
            System.out.println("worker " + nodeId + " closed");
        }));
        scheduler.start();
        System.out.println("worker " + nodeId + " started");
        Thread.currentThread().join(); // the scheduler's threads are daemons; this keeps the JVM up until killed
    }

    /** {@code pool}, whose first transaction that writes attempt rows waits in its commit (see HOLD_COMPLETION). */
    private static DataSource holdingFirstCompletion(DataSource pool) {
        AtomicBoolean armed = new AtomicBoolean(true);
        return (DataSource) Proxy.newProxyInstance(WorkerProcess.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(method, pool, args);
                    if (!(result instanceof Connection connection)) {
                        return result;
                    }
                    AtomicBoolean completing = new AtomicBoolean();
                    return Proxy.newProxyInstance(WorkerProcess.class.getClassLoader(),
                            new Class<?>[] {Connection.class}, (c, m, a) -> {
                                if (m.getName().equals("prepareStatement") && a[0] instanceof String sql
                                        && sql.contains(".attempts (job_id, attempt, node_id, started_at, finished_at")) {
                                    completing.set(true);
                                }
                                if (m.getName().equals("commit") && completing.get() && armed.getAndSet(false)) {
                                    System.out.println(COMPLETION_HELD);
                                    System.out.flush();
                                    new BufferedReader(new InputStreamReader(System.in)).readLine();
                                }
                                return invoke(m, connection, a);
                            });
                });
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    static void recordRun(HikariDataSource dataSource, long jobId, String node) throws Exception {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("insert into runs (job_id, node) values (?, ?)")) {
            ps.setLong(1, jobId);
            ps.setString(2, node);
            ps.executeUpdate();
        }
    }

    /** A run's row in {@code table} (see {@link HandlerRuns}); returns its id. */
    private static long logStart(HikariDataSource dataSource, String table, JobContext<?> ctx, String node, String key,
                                 int seq) throws Exception {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("insert into " + table + " (job_id, attempt, node, key, seq, "
                     + "started_at) values (?, ?, ?, ?, ?, clock_timestamp()) returning id")) {
            ps.setLong(1, ctx.jobId());
            ps.setInt(2, ctx.attempt());
            ps.setString(3, node);
            ps.setString(4, key);
            ps.setInt(5, seq);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static void logEnd(HikariDataSource dataSource, String table, long run) throws Exception {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("update " + table + " set ended_at = clock_timestamp() where id = ?")) {
            ps.setLong(1, run);
            ps.executeUpdate();
        }
    }

    private static boolean partnerDown(HikariDataSource dataSource) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select down from flaky_partner")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Holds for the tenant's {@code hold_ms}, then fails if its partner is down. */
    private static Object tenantCall(HikariDataSource dataSource, String tenant) throws Exception {
        String sql = "select down, hold_ms from tenant_partners where tenant = ?";
        long holdMs;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                holdMs = rs.getLong(2);
            }
        }
        Thread.sleep(holdMs);
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    throw new IllegalStateException("partner of " + tenant + " down");
                }
            }
        }
        return null;
    }

    private WorkerProcess() {}
}
