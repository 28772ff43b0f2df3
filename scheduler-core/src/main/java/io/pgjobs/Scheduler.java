package io.pgjobs;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.pgjobs.admin.AdminClient;
import io.pgjobs.internal.Components;
import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.runtime.StartRetry;
import io.pgjobs.internal.store.Migrations;
import io.pgjobs.spi.JobSerializer;
import io.pgjobs.spi.RetryPolicy;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import javax.sql.DataSource;

/**
 * A pgjobs node: it runs the jobs of its queues whose kinds it has handlers for, and hands out the
 * {@link JobClient}. Build one per application with {@link #builder(DataSource)}, {@link #start()} it, and
 * {@link #close()} it on shutdown.
 *
 * <pre>{@code
 * Scheduler scheduler = Scheduler.builder(dataSource)
 *         .queue("default", 20)
 *         .handler(SendEmail.class, ctx -> {
 *             mailer.send(ctx.args().to());
 *             return null;                 // or a value, stored as the job's JSON result
 *         })
 *         .build();
 * scheduler.start();                       // migrates the schema, then fetches and runs jobs
 * scheduler.client().enqueue(new SendEmail("ada@example.com"));
 * }</pre>
 *
 * <p>A process that only enqueues (its jobs run on other nodes) builds a client instead:
 * {@code JobClient client = Scheduler.builder(dataSource).buildClient();} (see {@link Builder#buildClient()}).
 */
public final class Scheduler implements AutoCloseable {
    private final Config config;
    private final Components components;

    private Scheduler(Config config) {
        this.config = config;
        this.components = Components.of(config);
    }

    /**
     * Starts configuring a scheduler.
     *
     * @param dataSource the application's pool, which pgjobs takes its connections from
     * @return a builder
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /**
     * The client for enqueueing and inspecting jobs; usable whether or not this scheduler was started.
     *
     * @return the client
     */
    public JobClient client() {
        return components.client();
    }

    /**
     * The operator's API (what the dashboard uses); usable whether or not this scheduler was started.
     *
     * @return the operator's API
     */
    public AdminClient admin() {
        return components.admin();
    }

    /**
     * Applies pgjobs' migrations to its schema (creating it if needed). Once per process, data source and schema:
     * a second call, or a {@link #start()} after it, does not check the schema again.
     */
    public void migrate() {
        Migrations.migrate(config.dataSource(), config.schema());
    }

    /**
     * Starts fetching and running jobs (migrating first unless disabled, then creating or updating the declared
     * schedules) and firing due schedules. While the database cannot be reached (refused or closed connections),
     * that first work is tried again, with a growing pause, until {@link Builder#startTimeout}; then a
     * {@link PgJobsException} says so. Calling it again while running is harmless. A scheduler that was
     * closed cannot be started again.
     */
    public void start() {
        StartRetry.until(config.startTimeout(), () -> {
            if (config.migrateOnStart()) {
                migrate();
            }
            components.client().declareQueueMaxDepths();
            components.client().schedules().upsertAll(config.schedules());
        });
        components.node().start();
    }

    /**
     * Stops in two phases: fetching stops at once and running jobs get until the shutdown deadline to finish;
     * the rest are interrupted and put back to run again (without spending an attempt). Pending completions
     * are written before it returns. Harmless to call twice or before {@link #start()}.
     */
    @Override
    public void close() {
        components.node().stop();
        components.client().close();
        components.telemetry().close();
    }

    /**
     * Runs one job now, in the calling thread, and answers its attempt: for tests (pgjobs-test's
     * {@code PgJobsTestKit.runJob}) and tools that must run a given job at once. The job is claimed for this node
     * as a worker's claim would (its attempt counted, a lease renewed while it runs), its handler runs with the
     * kind's timeout and cancellation, and its end is written as any attempt's: a failure is retried later or
     * discarded by the retry policy, a snooze waits. The scheduler need not be started.
     *
     * <p>It is an explicit request: the job runs whether it is due or waits for its time (a delay, a retry's
     * backoff), whether its queue is paused or worked by this scheduler, and flow control neither holds it back
     * nor counts it. It must be waiting to run ({@code available}, {@code scheduled} or {@code retryable}) and of
     * a kind this scheduler has a handler for.
     *
     * @param jobId the job's id
     * @return the attempt as written: how it ended, and its error if it failed
     * @throws IllegalArgumentException if there is no such job
     * @throws IllegalStateException if the job is not waiting to run (it runs elsewhere, waits for its
     *         workflow's parents, or has finished), if this scheduler has no handler for its kind, or if this
     *         scheduler was closed
     * @throws PgJobsException if the database fails, or the attempt's end could not be written because the job
     *         was taken from this node meanwhile (its lease ran out)
     */
    public JobAttempt runJob(long jobId) {
        return components.node().runJob(jobId);
    }

    /**
     * Checks this node and the database now (a few small queries, each with a timeout): this node's loops, the
     * database, the leader, each of this node's queues' lag against {@link Builder#queueLagThreshold}, and how
     * many jobs were discarded since the previous call. See docs/observability.md for the semantics and the
     * HTTP status codes of liveness and readiness probes.
     *
     * @return what it found
     */
    public Health health() {
        return components.health().check();
    }

    /**
     * Whether this node is the cluster's leader right now (it holds the leader lock and runs the maintenance
     * chores: lease rescue, retention, dead-node cleanup). See docs/cluster.md.
     *
     * @return whether it leads
     */
    public boolean isLeader() {
        return components.node().isLeader();
    }

    /** {@return this node's id, as stored with the jobs it runs} */
    public String nodeId() {
        return config.nodeId();
    }

    /**
     * Configures a {@link Scheduler}. Each setter validates its value at once and throws
     * {@link IllegalArgumentException} naming the setting.
     */
    public static final class Builder {
        private final Config.Builder config;

        private Builder(DataSource dataSource) {
            this.config = new Config.Builder(dataSource);
        }

        /**
         * The Postgres schema holding pgjobs' tables; default {@code pgjobs}.
         *
         * @param schema the schema's name
         * @return this builder
         */
        public Builder schema(String schema) {
            config.schema(schema);
            return this;
        }

        /**
         * A queue this node works, with how many of its jobs may run at once on this node.
         *
         * @param name the queue's name
         * @param concurrency how many of its jobs this node runs at once
         * @return this builder
         */
        public Builder queue(String name, int concurrency) {
            config.queue(name, concurrency);
            return this;
        }

        /**
         * At most {@code limit} jobs of {@code queue} run at once across the whole cluster (the queue's
         * {@code concurrency} still bounds this node). Call {@link #queue} first. Every node working the queue must
         * configure the same limits: a node without them claims the queue's jobs without counting them. See
         * docs/flow-control.md.
         *
         * <pre>{@code
         * Scheduler.builder(dataSource)
         *         .queue("reports", 10)
         *         .queueLimit("reports", 5)                                      // 5 in all, cluster-wide
         *         .partitionLimit("reports", PartitionKey.args("customerId"), 1); // 1 per customer
         * }</pre>
         *
         * @param queue the queue
         * @param limit the most of its jobs running across the cluster
         * @return this builder
         */
        public Builder queueLimit(String queue, int limit) {
            config.queueLimit(queue, limit);
            return this;
        }

        /**
         * At most {@code limit} jobs of each partition of {@code queue} run at once across the whole cluster; a
         * job's partition is found by {@code key}. Call {@link #queue} first; see {@link #queueLimit}.
         *
         * @param queue the queue
         * @param key what finds a job's partition
         * @param limit the most of a partition's jobs running across the cluster
         * @return this builder
         */
        public Builder partitionLimit(String queue, PartitionKey key, int limit) {
            config.partitionLimit(queue, key, limit);
            return this;
        }

        /**
         * At most {@code rate.count()} jobs of {@code queue} start per {@code rate.period()} across the whole
         * cluster, evenly spread (bursts only as {@link RateLimit#burst} allows), for the queue or for each of its
         * partitions ({@link RateLimit#perPartition}). Call {@link #queue} first; every node working the queue
         * must configure it. See docs/flow-control.md.
         *
         * <pre>{@code
         * Scheduler.builder(dataSource)
         *         .queue("api", 10)
         *         .rateLimit("api", RateLimit.of(100, Duration.ofMinutes(1)).perPartition(PartitionKey.args("tenant")));
         * }</pre>
         *
         * @param queue the queue
         * @param rate the rate
         * @return this builder
         */
        public Builder rateLimit(String queue, RateLimit rate) {
            config.rateLimit(queue, rate);
            return this;
        }

        /**
         * Jobs of {@code queue} with the same {@link JobRequest#orderingKey ordering key} run one at a time across
         * the cluster, in the order they were enqueued; a failing job holds its key while it retries, and
         * {@code policy} says what a discarded one does. Call {@link #queue} first; every node working the queue
         * must configure it. See docs/flow-control.md.
         *
         * <pre>{@code
         * Scheduler.builder(dataSource)
         *         .queue("ledger", 10)
         *         .orderedKeys("ledger", OrderedKeys.BLOCK_WHEN_DISCARDED);
         * client.enqueue(JobRequest.of(new Post(account, amount)).queue("ledger").orderingKey("account-" + account));
         * }</pre>
         *
         * @param queue the queue
         * @param policy what a discarded job does to its key
         * @return this builder
         */
        public Builder orderedKeys(String queue, OrderedKeys policy) {
            config.orderedKeys(queue, policy);
            return this;
        }

        /**
         * A circuit breaker for {@code kind}: after the failures {@code breaker} describes, the kind's jobs are not
         * claimed by any node for its cool-down (they spend no attempts), then one probe job runs and its outcome
         * closes the circuit or opens it again. The state lives in the database, shared by all nodes; it raises
         * events and metrics, shows in {@link #health()}, and operators can open, close or reset it through
         * {@link AdminClient}. Register the kind's handler first; every node handling the kind should configure
         * the same breaker. With {@link CircuitBreaker#perPartition} each partition of the kind has a circuit of
         * its own. See docs/flow-control.md.
         *
         * <pre>{@code
         * Scheduler.builder(dataSource)
         *         .handler(CallPartner.class, ctx -> partner.call(ctx.args()))
         *         .circuitBreaker("partner.call", CircuitBreaker.afterConsecutiveFailures(5).coolDown(Duration.ofMinutes(1)));
         *         // or one circuit per tenant:
         *         // CircuitBreaker.afterConsecutiveFailures(5).perPartition(PartitionKey.args("tenant"))
         * }</pre>
         *
         * @param kind the job kind
         * @param breaker when its circuit opens
         * @return this builder
         */
        public Builder circuitBreaker(String kind, CircuitBreaker breaker) {
            config.circuitBreaker(kind, breaker);
            return this;
        }

        /**
         * Registers the handler for the kind named by {@link JobKind} on {@code argsType}.
         *
         * @param <A> the args' type
         * @param argsType the args' type, whose {@link JobKind} names the kind
         * @param handler the handler
         * @return this builder
         */
        public <A> Builder handler(Class<A> argsType, JobHandler<A> handler) {
            return handler(JobRequest.kindOf(argsType), argsType, handler);
        }

        /**
         * Registers the handler for {@code kind}, whose args deserialize as {@code argsType}.
         *
         * @param <A> the args' type
         * @param kind the job kind
         * @param argsType the type its args deserialize to
         * @param handler the handler
         * @return this builder
         */
        public <A> Builder handler(String kind, Class<A> argsType, JobHandler<A> handler) {
            config.handler(kind, argsType, handler);
            return this;
        }

        /**
         * This node's id; default host name, process id and a random suffix.
         *
         * @param nodeId the node's id
         * @return this builder
         */
        public Builder nodeId(String nodeId) {
            config.nodeId(nodeId);
            return this;
        }

        /**
         * How often idle queues look for work when no notification arrives; default 1 s.
         *
         * @param interval the interval
         * @return this builder
         */
        public Builder pollInterval(Duration interval) {
            config.pollInterval(interval);
            return this;
        }

        /**
         * How long {@link #close()} lets running jobs finish before interrupting them; default 30 s.
         *
         * @param deadline the deadline
         * @return this builder
         */
        public Builder shutdownDeadline(Duration deadline) {
            config.shutdownDeadline(deadline);
            return this;
        }

        /**
         * How long a running job's lease lasts between renewals before the job counts as lost; default 30 s.
         *
         * @param lease the lease's length
         * @return this builder
         */
        public Builder leaseDuration(Duration lease) {
            config.leaseDuration(lease);
            return this;
        }

        /** The retry policy of handlers that do not bring their own; default exponential with full jitter. */
        /**
         * How long a failed job waits before its next attempt, for the handlers whose
         * {@link JobHandler#retryPolicy()} is null.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder retryPolicy(RetryPolicy policy) {
            config.retryPolicy(policy);
            return this;
        }

        /**
         * How args and results turn into JSON and back; by default with Jackson.
         *
         * @param serializer the serializer
         * @return this builder
         */
        public Builder serializer(JobSerializer serializer) {
            config.serializer(serializer);
            return this;
        }

        /**
         * The largest args a job may have, in bytes of JSON; default 1 MiB.
         *
         * @param bytes the most bytes
         * @return this builder
         */
        public Builder maxArgsBytes(int bytes) {
            config.maxArgsBytes(bytes);
            return this;
        }

        /**
         * How long {@link #start()} keeps trying while the database cannot be reached (a refused or closed
         * connection), before it gives up with a {@link PgJobsException}; default 60 s, zero to try once. Other
         * errors end the start at once.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder startTimeout(Duration timeout) {
            config.startTimeout(timeout);
            return this;
        }

        /**
         * Whether {@link #start()} applies the migrations first; default true.
         *
         * @param migrate whether to migrate
         * @return this builder
         */
        public Builder migrateOnStart(boolean migrate) {
            config.migrateOnStart(migrate);
            return this;
        }

        /**
         * Runs handlers on this executor instead of pgjobs' own threads (by default a new virtual thread per
         * job). pgjobs never shuts it down; the queues' concurrency still bounds how many jobs it is given. Pass
         * a pool of platform threads when handlers block while holding a monitor on Java 21 to 23, where that
         * pins the virtual thread's carrier.
         *
         * @param executor the executor
         * @return this builder
         */
        public Builder executor(ExecutorService executor) {
            config.executor(executor);
            return this;
        }

        /**
         * Declares a cron schedule, created or updated by name at {@link #start()} (never duplicated). Schedules
         * removed from the code stay in the database until deleted through {@link JobClient#schedules()}.
         *
         * @param schedule the schedule
         * @return this builder
         */
        public Builder schedule(Schedule schedule) {
            config.schedule(schedule);
            return this;
        }

        /**
         * Adds a listener for job, node and schedule events. Listeners run on one pgjobs thread, never on a
         * worker; see {@link JobListener}.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(JobListener listener) {
            config.observe().listener(listener);
            return this;
        }

        /**
         * How many events may wait for slow listeners before new ones are dropped (and counted); default 10000.
         *
         * @param capacity the most events waiting
         * @return this builder
         */
        public Builder eventQueueCapacity(int capacity) {
            config.observe().eventQueueCapacity(capacity);
            return this;
        }

        /**
         * How long a node may miss heartbeats before it counts as dead; default 30 s. Heartbeats and leader checks
         * run every sixth of it, and a frozen leader loses its lock after this long.
         *
         * @param silence the silence
         * @return this builder
         */
        public Builder nodeDeadAfter(Duration silence) {
            config.nodeDeadAfter(silence);
            return this;
        }

        /**
         * How long completed jobs (and their attempts) are kept before deletion; default 24 h.
         *
         * @param retention the retention
         * @return this builder
         */
        public Builder completedRetention(Duration retention) {
            config.completedRetention(retention);
            return this;
        }

        /**
         * How long cancelled and discarded jobs (and their attempts) are kept before deletion; default 7 days.
         *
         * @param retention the retention
         * @return this builder
         */
        public Builder failedRetention(Duration retention) {
            config.failedRetention(retention);
            return this;
        }

        /**
         * The most jobs that may wait in {@code queue} (available, scheduled or retryable; running ones do not
         * count). An enqueue that would go beyond it is refused with {@link QueueFullException} and writes
         * nothing, or first waits for room (see {@link #enqueueWaitWhenFull}). Written to the database at
         * {@link #start()}, so that it holds for every client, also those that only enqueue; clients read it at
         * most 5 seconds late. Queues without a maximum cost enqueue nothing.
         *
         * @param queue the queue
         * @param maxDepth the most waiting jobs
         * @return this builder
         */
        public Builder queueMaxDepth(String queue, int maxDepth) {
            config.queueMaxDepth(queue, maxDepth);
            return this;
        }

        /**
         * How long this scheduler's client waits for room in a full queue before it throws
         * {@link QueueFullException}; default zero (it throws at once), at most 1 h. An enqueue inside the
         * caller's transaction keeps that transaction open while it waits.
         *
         * @param wait the longest wait
         * @return this builder
         */
        public Builder enqueueWaitWhenFull(Duration wait) {
            config.enqueueWaitWhenFull(wait);
            return this;
        }

        /**
         * How often {@link JobClient#awaitResult} reads the jobs it waits for, in case a notification was lost;
         * default 10 s. Waiters are woken by a notification when their job finishes, so this is only the
         * fallback.
         *
         * @param interval the interval
         * @return this builder
         */
        public Builder resultPollInterval(Duration interval) {
            config.resultPollInterval(interval);
            return this;
        }

        /**
         * Records pgjobs' metrics (counters, timers and gauges named {@code pgjobs.*}) in this Micrometer
         * registry. Micrometer is an optional dependency: without this call pgjobs never loads it.
         *
         * @param registry the registry
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            config.observe().meterRegistry(registry);
            return this;
        }

        /**
         * Traces with OpenTelemetry: enqueue stores the caller's W3C trace context in the job's metadata, and each
         * attempt runs in a {@code pgjobs.execute <kind>} span whose parent is that context. OpenTelemetry is an
         * optional dependency: without this call pgjobs never loads it.
         *
         * @param openTelemetry the OpenTelemetry instance
         * @return this builder
         */
        public Builder openTelemetry(OpenTelemetry openTelemetry) {
            config.observe().openTelemetry(openTelemetry, false);
            return this;
        }

        /**
         * Like {@link #openTelemetry(OpenTelemetry)}, but each attempt's span starts a trace of its own with a
         * link to the enqueuing span, instead of joining the enqueuing trace (for jobs that run long after, or
         * many times for, one request).
         *
         * @param openTelemetry the OpenTelemetry instance
         * @return this builder
         */
        public Builder openTelemetryLinked(OpenTelemetry openTelemetry) {
            config.observe().openTelemetry(openTelemetry, true);
            return this;
        }

        /**
         * MDC keys whose values an enqueue carries into the job (in its metadata) and that are restored in the
         * MDC around its execution, next to pgjobs' own keys.
         *
         * @param keys the MDC keys
         * @return this builder
         */
        public Builder carryMdc(String... keys) {
            config.observe().carryMdc(keys);
            return this;
        }

        /**
         * How often the queue depth and lag gauges are refreshed (one query); default 15 s.
         *
         * @param interval the interval
         * @return this builder
         */
        public Builder queueStatsInterval(Duration interval) {
            config.observe().queueStatsInterval(interval);
            return this;
        }

        /**
         * The age of a queue's oldest due job above which {@link #health()} reports it degraded; default 5 min.
         *
         * @param threshold the threshold
         * @return this builder
         */
        public Builder queueLagThreshold(Duration threshold) {
            config.observe().queueLagThreshold(threshold);
            return this;
        }

        /**
         * Builds the scheduler; {@link Scheduler#start()} starts it.
         *
         * @return the scheduler
         */
        public Scheduler build() {
            return new Scheduler(config.build());
        }

        /**
         * Builds only the client, for a process that enqueues and inspects jobs whose workers run elsewhere (a web
         * application, say): nothing runs in the background, and there is nothing to close. It applies the
         * migrations first (as {@link Scheduler#migrate()}: once per process) unless {@link #migrateOnStart} is
         * false. Queues, handlers and schedules belong to a node that runs jobs: configuring any of them here is an
         * error.
         *
         * @return the client
         */
        public JobClient buildClient() {
            Config built = config.build();
            if (!built.queues().isEmpty() || !built.handlers().isEmpty() || !built.schedules().isEmpty()) {
                throw new IllegalStateException("buildClient: a client runs no jobs, but queues, handlers or "
                        + "schedules are configured; build() and start() a Scheduler for a node that runs them");
            }
            Scheduler scheduler = new Scheduler(built);
            if (built.migrateOnStart()) {
                scheduler.migrate();
            }
            return scheduler.client();
        }
    }
}
