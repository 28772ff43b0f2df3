package io.pgjobs.internal.config;

import io.pgjobs.CircuitBreaker;
import io.pgjobs.JobHandler;
import io.pgjobs.OrderedKeys;
import io.pgjobs.PartitionKey;
import io.pgjobs.RateLimit;
import io.pgjobs.Schedule;
import io.pgjobs.internal.values.Excerpt;
import io.pgjobs.internal.values.PgValues;
import io.pgjobs.spi.JobSerializer;
import io.pgjobs.spi.RetryPolicy;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/** The sealed configuration of one scheduler, built and validated by {@link Builder}. */
public record Config(
        DataSource dataSource,
        String schema,
        Map<String, Integer> queues,
        Map<String, Registration<?>> handlers,
        String nodeId,
        Duration pollInterval,
        Duration shutdownDeadline,
        Duration leaseDuration,
        RetryPolicy retryPolicy,
        JobSerializer serializer,
        int maxArgsBytes,
        boolean migrateOnStart,
        Duration startTimeout,
        ExecutorService executor,
        List<Schedule> schedules,
        Duration nodeDeadAfter,
        Duration completedRetention,
        Duration failedRetention,
        Duration resultPollInterval,
        Map<String, Integer> queueMaxDepths,
        Duration enqueueWaitWhenFull,
        Map<String, QueueFlow> flows,
        Map<String, CircuitBreaker> circuitBreakers,
        ObserveConfig observe) {

    /** A handler bound to its kind and args type. */
    public record Registration<A>(String kind, Class<A> argsType, JobHandler<A> handler) {}

    /**
     * A queue's flow control (docs/flow-control.md): at most {@code queueLimit} of its jobs running across the
     * cluster (null: no such limit), at most {@code partitionLimit} per partition found by {@code partitionKey}
     * (null: none), its ordering keys kept in order unless {@code orderedKeys} is null, and its starts under
     * {@code rateLimit} (null: none; per partition found by {@code partitionKey} if the rate limit has one).
     */
    public record QueueFlow(Integer queueLimit, Integer partitionLimit, PartitionKey partitionKey,
                            OrderedKeys orderedKeys, RateLimit rateLimit) {
        /** No flow control: what a queue without any claims its kinds with a circuit per partition under. */
        public static final QueueFlow NONE = new QueueFlow(null, null, null, null, null);

        QueueFlow withQueueLimit(int limit) {
            return new QueueFlow(limit, partitionLimit, partitionKey, orderedKeys, rateLimit);
        }

        QueueFlow withPartitionLimit(PartitionKey key, int limit) {
            return new QueueFlow(queueLimit, limit, key, orderedKeys, rateLimit);
        }

        QueueFlow withOrderedKeys(OrderedKeys policy) {
            return new QueueFlow(queueLimit, partitionLimit, partitionKey, policy, rateLimit);
        }

        QueueFlow withRateLimit(RateLimit rate) {
            return new QueueFlow(queueLimit, partitionLimit,
                    rate.partitionKey() != null ? rate.partitionKey() : partitionKey, orderedKeys, rate);
        }
    }

    /** The most a cluster-wide limit may be. */
    public static final int MAX_LIMIT = 100_000;

    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    /** PostgreSQL's NAMEDATALEN less one; schema names are ASCII, so characters are bytes. */
    private static final int MAX_CHANNEL_LENGTH = 63;

    /** The channel that announces new runnable jobs and cancellations, one per schema. */
    public String notifyChannel() {
        return "pgjobs_" + schema;
    }

    /**
     * The channel on which the statement that finishes an awaited job tells its waiters (see V18). PostgreSQL
     * refuses to notify a channel of more than 63 bytes, so a long schema's name is cut there: two schemas
     * that then share a channel only wake each other's waiters, who read their own jobs by id.
     */
    public String resultChannel() {
        String channel = "pgjobs_results_" + schema;
        return channel.length() <= MAX_CHANNEL_LENGTH ? channel : channel.substring(0, MAX_CHANNEL_LENGTH);
    }

    /** A readable one-line summary, logged once at start. */
    public String describe() {
        return "node=" + nodeId + " schema=" + schema + " queues=" + queues + " kinds=" + handlers.keySet()
                + " pollInterval=" + pollInterval + " leaseDuration=" + leaseDuration
                + " shutdownDeadline=" + shutdownDeadline + " maxArgsBytes=" + maxArgsBytes
                + " executor=" + (executor == null ? "own" : "host's") + " schedules=" + schedules.size()
                + " nodeDeadAfter=" + nodeDeadAfter
                + " completedRetention=" + completedRetention + " failedRetention=" + failedRetention
                + " resultPollInterval=" + resultPollInterval + " queueMaxDepths=" + queueMaxDepths
                + " enqueueWaitWhenFull=" + enqueueWaitWhenFull
                + (flows.isEmpty() ? "" : " flowControl=" + flows)
                + (circuitBreakers.isEmpty() ? "" : " circuitBreakers=" + circuitBreakers)
                + " " + observe.describe();
    }

    public static final class Builder {
        private final DataSource dataSource;
        private String schema = "pgjobs";
        private final Map<String, Integer> queues = new LinkedHashMap<>();
        private final Map<String, Registration<?>> handlers = new LinkedHashMap<>();
        private String nodeId;
        private Duration pollInterval = Duration.ofSeconds(1);
        private Duration shutdownDeadline = Duration.ofSeconds(30);
        private Duration leaseDuration = Duration.ofSeconds(30);
        private RetryPolicy retryPolicy = RetryPolicy.defaultPolicy();
        private JobSerializer serializer;
        private int maxArgsBytes = 1 << 20;
        private boolean migrateOnStart = true;
        private Duration startTimeout = Duration.ofSeconds(60);
        private ExecutorService executor;
        private final Map<String, Schedule> schedules = new LinkedHashMap<>();
        private Duration nodeDeadAfter = Duration.ofSeconds(30);
        private Duration completedRetention = Duration.ofHours(24);
        private Duration failedRetention = Duration.ofDays(7);
        private Duration resultPollInterval = Duration.ofSeconds(10);
        private final Map<String, Integer> queueMaxDepths = new LinkedHashMap<>();
        private Duration enqueueWaitWhenFull = Duration.ZERO;
        private final Map<String, QueueFlow> flows = new LinkedHashMap<>();
        private final Map<String, CircuitBreaker> circuitBreakers = new LinkedHashMap<>();
        private final ObserveConfig.Builder observe = new ObserveConfig.Builder();

        public Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        public void schema(String schema) {
            if (schema == null || !SCHEMA_NAME.matcher(schema).matches()) {
                throw new IllegalArgumentException("schema: '" + schema
                        + "' is not a plain lower-case Postgres identifier ([a-z_][a-z0-9_]*, at most 63 characters)");
            }
            this.schema = schema;
        }

        public void queue(String name, int concurrency) {
            if (name == null || name.isBlank() || name.length() > 100) {
                throw new IllegalArgumentException("queue: name must be 1 to 100 non-blank characters, was '"
                        + Excerpt.of(name) + "'");
            }
            PgValues.text("queue", name);
            if (concurrency < 1 || concurrency > 10_000) {
                throw new IllegalArgumentException("queue '" + name + "': concurrency " + concurrency
                        + " is out of range 1..10000");
            }
            if (queues.putIfAbsent(name, concurrency) != null) {
                throw new IllegalArgumentException("queue '" + name + "' is configured twice");
            }
        }

        public void queueLimit(String queue, int limit) {
            QueueFlow current = flowOf(queue, "queueLimit");
            requireLimit("queueLimit", queue, limit);
            if (current.queueLimit() != null) {
                throw new IllegalArgumentException("queueLimit: queue '" + queue + "' already has a limit");
            }
            flows.put(queue, current.withQueueLimit(limit));
        }

        public void partitionLimit(String queue, PartitionKey key, int limit) {
            Objects.requireNonNull(key, "partitionLimit: key");
            QueueFlow current = flowOf(queue, "partitionLimit");
            requireLimit("partitionLimit", queue, limit);
            if (current.partitionLimit() != null) {
                throw new IllegalArgumentException("partitionLimit: queue '" + queue + "' already has a partition limit");
            }
            requireOnePartitionKey("partitionLimit", queue, current.partitionKey(), key);
            flows.put(queue, current.withPartitionLimit(key, limit));
        }

        public void rateLimit(String queue, RateLimit rate) {
            Objects.requireNonNull(rate, "rateLimit: rate");
            QueueFlow current = flowOf(queue, "rateLimit");
            if (current.rateLimit() != null) {
                throw new IllegalArgumentException("rateLimit: queue '" + queue + "' already has a rate limit");
            }
            if (rate.partitionKey() != null) {
                requireOnePartitionKey("rateLimit", queue, current.partitionKey(), rate.partitionKey());
            }
            flows.put(queue, current.withRateLimit(rate));
        }

        /** A queue's partitions are found one way, for its partition limit and its rate limit alike. */
        private static void requireOnePartitionKey(String setting, String queue, PartitionKey current,
                                                   PartitionKey key) {
            if (current != null && !current.equals(key)) {
                throw new IllegalArgumentException(setting + ": queue '" + queue + "' already finds its partitions by "
                        + current + "; its partition limit and rate limit must use the same key, not " + key);
            }
        }

        public void orderedKeys(String queue, OrderedKeys policy) {
            Objects.requireNonNull(policy, "orderedKeys: policy");
            QueueFlow current = flowOf(queue, "orderedKeys");
            if (current.orderedKeys() != null) {
                throw new IllegalArgumentException("orderedKeys: queue '" + queue + "' already has ordered keys");
            }
            flows.put(queue, current.withOrderedKeys(policy));
        }

        private QueueFlow flowOf(String queue, String setting) {
            if (!queues.containsKey(queue)) {
                throw new IllegalArgumentException(setting + ": queue '" + queue
                        + "' is not configured on this node; call queue(\"" + queue + "\", concurrency) first");
            }
            return flows.getOrDefault(queue, QueueFlow.NONE);
        }

        private static void requireLimit(String setting, String queue, int limit) {
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException(setting + ": " + limit + " for queue '" + queue
                        + "' is out of range 1.." + MAX_LIMIT);
            }
        }

        public <A> void handler(String kind, Class<A> argsType, JobHandler<A> handler) {
            if (kind == null || kind.isBlank() || kind.length() > 200) {
                throw new IllegalArgumentException("handler: kind must be 1 to 200 non-blank characters, was '"
                        + Excerpt.of(kind) + "'");
            }
            PgValues.text("handler: kind", kind);
            Objects.requireNonNull(argsType, "argsType");
            Objects.requireNonNull(handler, "handler");
            if (handlers.putIfAbsent(kind, new Registration<>(kind, argsType, handler)) != null) {
                throw new IllegalArgumentException("handler: kind '" + kind + "' is registered twice");
            }
        }

        public void circuitBreaker(String kind, CircuitBreaker breaker) {
            Objects.requireNonNull(breaker, "circuitBreaker: breaker");
            if (!handlers.containsKey(kind)) {
                throw new IllegalArgumentException("circuitBreaker: kind '" + kind
                        + "' has no handler on this node; register its handler first");
            }
            if (circuitBreakers.putIfAbsent(kind, breaker) != null) {
                throw new IllegalArgumentException("circuitBreaker: kind '" + kind + "' already has a circuit breaker");
            }
        }

        public void nodeId(String nodeId) {
            if (nodeId == null || nodeId.isBlank() || nodeId.length() > 200) {
                throw new IllegalArgumentException("nodeId: must be 1 to 200 non-blank characters, was '"
                        + Excerpt.of(nodeId) + "'");
            }
            PgValues.text("nodeId", nodeId);
            this.nodeId = nodeId;
        }

        public void pollInterval(Duration interval) {
            this.pollInterval = Durations.requireBetween("pollInterval", interval, Duration.ofMillis(10), Duration.ofHours(1));
        }

        public void shutdownDeadline(Duration deadline) {
            this.shutdownDeadline = Durations.requireBetween("shutdownDeadline", deadline, Duration.ZERO, Duration.ofHours(24));
        }

        public void leaseDuration(Duration lease) {
            this.leaseDuration = Durations.requireBetween("leaseDuration", lease, Duration.ofMillis(500), Duration.ofHours(24));
        }

        public void retryPolicy(RetryPolicy policy) {
            this.retryPolicy = Objects.requireNonNull(policy, "retryPolicy");
        }

        public void serializer(JobSerializer serializer) {
            this.serializer = Objects.requireNonNull(serializer, "serializer");
        }

        public void maxArgsBytes(int bytes) {
            if (bytes < 2 || bytes > 256 << 20) {
                throw new IllegalArgumentException("maxArgsBytes: " + bytes + " is out of range 2..268435456");
            }
            this.maxArgsBytes = bytes;
        }

        public void migrateOnStart(boolean migrate) {
            this.migrateOnStart = migrate;
        }

        public void startTimeout(Duration timeout) {
            this.startTimeout = Durations.requireBetween("startTimeout", timeout, Duration.ZERO, Duration.ofHours(24));
        }

        public void executor(ExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
        }

        public void schedule(Schedule schedule) {
            Objects.requireNonNull(schedule, "schedule");
            if (schedules.putIfAbsent(schedule.name(), schedule) != null) {
                throw new IllegalArgumentException("schedule '" + schedule.name() + "' is declared twice");
            }
        }

        public void nodeDeadAfter(Duration silence) {
            this.nodeDeadAfter = Durations.requireBetween("nodeDeadAfter", silence, Duration.ofSeconds(1), Duration.ofMinutes(10));
        }

        public void completedRetention(Duration retention) {
            this.completedRetention = Durations.requireBetween("completedRetention", retention, Duration.ofSeconds(1), Duration.ofDays(3650));
        }

        public void failedRetention(Duration retention) {
            this.failedRetention = Durations.requireBetween("failedRetention", retention, Duration.ofSeconds(1), Duration.ofDays(3650));
        }

        public void resultPollInterval(Duration interval) {
            this.resultPollInterval = Durations.requireBetween("resultPollInterval", interval, Duration.ofMillis(100),
                    Duration.ofHours(1));
        }

        public void queueMaxDepth(String queue, int maxDepth) {
            if (queue == null || queue.isBlank() || queue.length() > 100) {
                throw new IllegalArgumentException("queueMaxDepth: queue name must be 1 to 100 non-blank characters, was '"
                        + queue + "'");
            }
            if (maxDepth < 1) {
                throw new IllegalArgumentException("queueMaxDepth: queue '" + queue + "': maximum depth " + maxDepth
                        + " must be at least 1");
            }
            if (queueMaxDepths.putIfAbsent(queue, maxDepth) != null) {
                throw new IllegalArgumentException("queueMaxDepth: queue '" + queue + "' is given a maximum twice");
            }
        }

        public void enqueueWaitWhenFull(Duration wait) {
            this.enqueueWaitWhenFull = Durations.requireBetween("enqueueWaitWhenFull", wait, Duration.ZERO, Duration.ofHours(1));
        }

        /** Listeners, metrics, tracing, MDC and health settings. */
        public ObserveConfig.Builder observe() {
            return observe;
        }

        public Config build() {
            if (!handlers.isEmpty() && queues.isEmpty()) {
                throw new IllegalArgumentException("handlers are registered but no queue is configured: add "
                        + "queue(\"default\", concurrency) or the queues their jobs go to");
            }
            return new Config(dataSource, schema, Map.copyOf(queues), Map.copyOf(handlers),
                    nodeId != null ? nodeId : defaultNodeId(), pollInterval, shutdownDeadline, leaseDuration,
                    retryPolicy, serializer != null ? serializer : new JacksonSerializer(), maxArgsBytes,
                    migrateOnStart, startTimeout, executor, List.copyOf(schedules.values()),
                    nodeDeadAfter, completedRetention, failedRetention, resultPollInterval,
                    Map.copyOf(queueMaxDepths), enqueueWaitWhenFull, Map.copyOf(flows), Map.copyOf(circuitBreakers),
                    observe.build());
        }

        private static String defaultNodeId() {
            return localHostName() + "-" + ProcessHandle.current().pid() + "-"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        }
    }

    /** This machine's host name, or {@code unknown-host} if it has none. */
    public static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
