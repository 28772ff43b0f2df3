package io.pgjobs;

import io.pgjobs.internal.values.PgValues;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One job to enqueue: its kind, its args, and options. Each setter checks its value at once and throws
 * {@link IllegalArgumentException} naming the field, so a bad request fails where it is built: a null, a blank
 * name, a value out of range, text PostgreSQL cannot store (the character U+0000, a lone surrogate), or a
 * metadata key in pgjobs' own {@value #RESERVED_METADATA_PREFIX} namespace. What can only be checked once the
 * args and metadata are serialized (their size, U+0000 in their JSON) is checked at enqueue, before anything is
 * written.
 *
 * <pre>{@code
 * client.enqueue(JobRequest.of(new SendEmail("ada@example.com"))
 *         .queue("email").priority(1).delay(Duration.ofMinutes(5)).idempotencyKey("welcome-42"));
 * }</pre>
 */
public final class JobRequest {
    /** The first priority: such jobs run first. */
    public static final int MIN_PRIORITY = 0;
    /** The last priority: such jobs run last. */
    public static final int MAX_PRIORITY = 9;
    /** The priority of a request that sets none. */
    public static final int DEFAULT_PRIORITY = 5;
    /** The most attempts a job may have. */
    public static final int MAX_ATTEMPTS_LIMIT = 1000;
    /** The attempts of a request that sets none. */
    public static final int DEFAULT_MAX_ATTEMPTS = 20;
    /** The earliest {@link #runAt}: an earlier time would only mean now. */
    public static final Instant MIN_RUN_AT = PgValues.MIN_INSTANT;
    /** The latest {@link #runAt}. */
    public static final Instant MAX_RUN_AT = PgValues.MAX_INSTANT;
    /** The longest {@link #delay}: 1000 years. */
    public static final Duration MAX_DELAY = PgValues.MAX_DELAY;
    /** Metadata keys that pgjobs writes and reads itself (which schedule fired a job, carried MDC...). */
    public static final String RESERVED_METADATA_PREFIX = "pgjobs.";

    private final String kind;
    private final Object args;
    private String queue = "default";
    private int priority = DEFAULT_PRIORITY;
    private Instant runAt;
    private Duration delay;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private String idempotencyKey;
    private Uniqueness uniqueness;
    private String partitionKey;
    private String orderingKey;
    private final List<String> tags = new ArrayList<>();
    private final Map<String, Object> metadata = new LinkedHashMap<>();

    private JobRequest(String kind, Object args) {
        this.kind = requireName("kind", kind, 200);
        this.args = requireArgs(args);
    }

    /**
     * A job whose kind comes from the {@link JobKind} annotation on the args' class.
     *
     * @param args the args, whose class carries {@link JobKind}
     * @return the request
     */
    public static JobRequest of(Object args) {
        return new JobRequest(kindOf(requireArgs(args).getClass()), args);
    }

    /**
     * A job of an explicit kind; args may be any value the serializer can write (a record, a map...).
     *
     * @param kind the kind
     * @param args the args
     * @return the request
     */
    public static JobRequest of(String kind, Object args) {
        return new JobRequest(kind, args);
    }

    /**
     * The kind named by {@link JobKind} on {@code argsType}.
     *
     * @param argsType a class annotated with {@link JobKind}
     * @return the kind
     */
    public static String kindOf(Class<?> argsType) {
        JobKind annotation = requireNonNull("argsType", argsType).getAnnotation(JobKind.class);
        if (annotation == null) {
            throw new IllegalArgumentException("kind: " + argsType.getName()
                    + " has no @JobKind annotation; annotate it or pass the kind explicitly");
        }
        return annotation.value();
    }

    /**
     * The queue the job goes to; default {@code default}.
     *
     * @param queue the queue's name, 1 to 100 characters
     * @return this request
     */
    public JobRequest queue(String queue) {
        this.queue = requireName("queue", queue, 100);
        return this;
    }

    /**
     * 0 runs first, 9 last; default 5.
     *
     * @param priority the priority, {@link #MIN_PRIORITY} to {@link #MAX_PRIORITY}
     * @return this request
     */
    public JobRequest priority(int priority) {
        if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority: " + priority + " is out of range "
                    + MIN_PRIORITY + ".." + MAX_PRIORITY);
        }
        this.priority = priority;
        return this;
    }

    /**
     * Run no earlier than this instant, between {@link #MIN_RUN_AT} and {@link #MAX_RUN_AT}. Replaces any delay.
     *
     * @param runAt the instant
     * @return this request
     */
    public JobRequest runAt(Instant runAt) {
        this.runAt = PgValues.instant("runAt", requireNonNull("runAt", runAt));
        this.delay = null;
        return this;
    }

    /**
     * Run no earlier than this long (up to {@link #MAX_DELAY}) after the database's {@code now()} at insert.
     * Replaces any run-at.
     *
     * @param delay the delay
     * @return this request
     */
    public JobRequest delay(Duration delay) {
        this.delay = PgValues.delay("delay", requireNonNull("delay", delay));
        this.runAt = null;
        return this;
    }

    /**
     * How many attempts the job may have before it is discarded; default {@link #DEFAULT_MAX_ATTEMPTS}.
     *
     * @param maxAttempts the attempts, 1 to {@link #MAX_ATTEMPTS_LIMIT}
     * @return this request
     */
    public JobRequest maxAttempts(int maxAttempts) {
        if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
            throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " is out of range 1.."
                    + MAX_ATTEMPTS_LIMIT);
        }
        this.maxAttempts = maxAttempts;
        return this;
    }

    /**
     * At most one job with this key exists at a time: enqueueing it again returns the existing job
     * ({@link EnqueueResult#duplicate()}). The key is remembered as long as the job row exists, that is until
     * retention deletes the finished job.
     *
     * @param key the key
     * @return this request
     */
    public JobRequest idempotencyKey(String key) {
        this.idempotencyKey = requireName("idempotencyKey", key, 500);
        return this;
    }

    /**
     * Makes this job unique by kind, queue and args as {@code uniqueness} says: while a job that counts exists,
     * enqueueing this one writes nothing and returns that job ({@link EnqueueResult#duplicate()}). Works with or
     * without an idempotency key (a request with both is a duplicate if either matches).
     *
     * @param uniqueness what makes two jobs the same
     * @return this request
     */
    public JobRequest unique(Uniqueness uniqueness) {
        this.uniqueness = requireNonNull("unique", uniqueness);
        return this;
    }

    /**
     * The partition this job counts in on a queue with a {@link Scheduler.Builder#partitionLimit partition
     * limit}, whatever the queue's {@link PartitionKey} would read from the job. Ignored by other queues.
     *
     * @param key the partition
     * @return this request
     */
    public JobRequest partitionKey(String key) {
        this.partitionKey = requireName("partitionKey", key, 500);
        return this;
    }

    /**
     * On a queue with {@link Scheduler.Builder#orderedKeys ordered keys}, the jobs with this key run one at a time
     * and in the order they were enqueued (jobs enqueued by concurrent transactions: in the order of their ids).
     * Ignored by other queues.
     *
     * @param key the ordering key
     * @return this request
     */
    public JobRequest orderingKey(String key) {
        this.orderingKey = requireName("orderingKey", key, 500);
        return this;
    }

    /**
     * Adds tags; all are checked before any is added.
     *
     * @param tags the tags, each 1 to 100 characters
     * @return this request
     */
    public JobRequest tags(String... tags) {
        List<String> checked = new ArrayList<>();
        for (String tag : requireNonNull("tags", tags)) {
            checked.add(requireName("tags", tag, 100));
        }
        this.tags.addAll(checked);
        return this;
    }

    /**
     * A metadata entry stored with the job and handed to its handler; values must be JSON-serializable. Keys
     * starting with {@value #RESERVED_METADATA_PREFIX} are pgjobs' own and rejected.
     *
     * @param key the key
     * @param value the value
     * @return this request
     */
    public JobRequest metadata(String key, Object value) {
        requireName("metadata key", key, 200);
        if (key.startsWith(RESERVED_METADATA_PREFIX)) {
            throw new IllegalArgumentException("metadata key: '" + key + "' is reserved: keys starting with '"
                    + RESERVED_METADATA_PREFIX + "' are pgjobs' own");
        }
        this.metadata.put(key, value);
        return this;
    }

    /** {@return the job's kind} */
    public String kind() { return kind; }
    /** {@return the job's args} */
    public Object args() { return args; }
    /** {@return the job's queue} */
    public String queue() { return queue; }
    /** {@return the job's priority} */
    public int priority() { return priority; }
    /** {@return when the job may run; null when it runs now or after {@link #delay()}} */
    public Instant runAt() { return runAt; }
    /** {@return how long after its insert the job may run; null when it runs now or at {@link #runAt()}} */
    public Duration delay() { return delay; }
    /** {@return how many attempts the job may have} */
    public int maxAttempts() { return maxAttempts; }
    /** {@return the job's idempotency key; null for none} */
    public String idempotencyKey() { return idempotencyKey; }
    /** {@return what makes the job unique; null when it is not unique beyond its idempotency key} */
    public Uniqueness uniqueness() { return uniqueness; }
    /** {@return the job's partition key; null for none} */
    public String partitionKey() { return partitionKey; }
    /** {@return the job's ordering key; null for none} */
    public String orderingKey() { return orderingKey; }
    /** {@return the job's tags} */
    public List<String> tags() { return List.copyOf(tags); }
    /** {@return the job's metadata} */
    public Map<String, Object> metadata() { return Collections.unmodifiableMap(new LinkedHashMap<>(metadata)); }

    private static String requireName(String field, String value, int maxLength) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + ": must not be blank");
        }
        if (value.length() > maxLength) {
            throw new IllegalArgumentException(field + ": is " + value.length() + " characters, over the limit of "
                    + maxLength);
        }
        return PgValues.text(field, value);
    }

    private static Object requireArgs(Object args) {
        if (args == null) {
            throw new IllegalArgumentException("args: must not be null; a job without args can take an empty "
                    + "record or Map.of()");
        }
        return args;
    }

    private static <T> T requireNonNull(String field, T value) {
        if (value == null) {
            throw new IllegalArgumentException(field + ": must not be null");
        }
        return value;
    }
}
