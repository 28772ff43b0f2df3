package io.pgjobs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One job to enqueue: its kind, its args, and options. Each setter checks its value at once and throws
 * {@link IllegalArgumentException} naming the field, so a bad request fails where it is built.
 *
 * <pre>{@code
 * client.enqueue(JobRequest.of(new SendEmail("ada@example.com"))
 *         .queue("email").priority(1).delay(Duration.ofMinutes(5)).idempotencyKey("welcome-42"));
 * }</pre>
 */
public final class JobRequest {
    public static final int MIN_PRIORITY = 0;
    public static final int MAX_PRIORITY = 9;
    public static final int DEFAULT_PRIORITY = 5;
    public static final int MAX_ATTEMPTS_LIMIT = 1000;
    public static final int DEFAULT_MAX_ATTEMPTS = 20;

    private final String kind;
    private final Object args;
    private String queue = "default";
    private int priority = DEFAULT_PRIORITY;
    private Instant runAt;
    private Duration delay;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private String idempotencyKey;
    private String partitionKey;
    private String orderingKey;
    private final List<String> tags = new ArrayList<>();
    private final Map<String, Object> metadata = new LinkedHashMap<>();

    private JobRequest(String kind, Object args) {
        this.kind = requireName("kind", kind, 200);
        this.args = Objects.requireNonNull(args, "args");
    }

    /** A job whose kind comes from the {@link JobKind} annotation on the args' class. */
    public static JobRequest of(Object args) {
        Objects.requireNonNull(args, "args");
        return new JobRequest(kindOf(args.getClass()), args);
    }

    /** A job of an explicit kind; args may be any value the serializer can write (a record, a map...). */
    public static JobRequest of(String kind, Object args) {
        return new JobRequest(kind, args);
    }

    /** The kind named by {@link JobKind} on {@code argsType}. */
    public static String kindOf(Class<?> argsType) {
        JobKind annotation = argsType.getAnnotation(JobKind.class);
        if (annotation == null) {
            throw new IllegalArgumentException("kind: " + argsType.getName()
                    + " has no @JobKind annotation; annotate it or pass the kind explicitly");
        }
        return annotation.value();
    }

    public JobRequest queue(String queue) {
        this.queue = requireName("queue", queue, 100);
        return this;
    }

    /** 0 runs first, 9 last; default 5. */
    public JobRequest priority(int priority) {
        if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority: " + priority + " is out of range "
                    + MIN_PRIORITY + ".." + MAX_PRIORITY);
        }
        this.priority = priority;
        return this;
    }

    /** Run no earlier than this instant. Replaces any delay. */
    public JobRequest runAt(Instant runAt) {
        this.runAt = Objects.requireNonNull(runAt, "runAt");
        this.delay = null;
        return this;
    }

    /** Run no earlier than this long after the database's {@code now()} at insert. Replaces any run-at. */
    public JobRequest delay(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay: must not be negative, was " + delay);
        }
        this.delay = delay;
        this.runAt = null;
        return this;
    }

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
     */
    public JobRequest idempotencyKey(String key) {
        this.idempotencyKey = requireName("idempotencyKey", key, 500);
        return this;
    }

    /**
     * The partition this job counts in on a queue with a {@link Scheduler.Builder#partitionLimit partition
     * limit}, whatever the queue's {@link PartitionKey} would read from the job. Ignored by other queues.
     */
    public JobRequest partitionKey(String key) {
        this.partitionKey = requireName("partitionKey", key, 500);
        return this;
    }

    /**
     * On a queue with {@link Scheduler.Builder#orderedKeys ordered keys}, the jobs with this key run one at a time
     * and in the order they were enqueued (jobs enqueued by concurrent transactions: in the order of their ids).
     * Ignored by other queues.
     */
    public JobRequest orderingKey(String key) {
        this.orderingKey = requireName("orderingKey", key, 500);
        return this;
    }

    public JobRequest tags(String... tags) {
        for (String tag : tags) {
            this.tags.add(requireName("tags", tag, 100));
        }
        return this;
    }

    /** A metadata entry stored with the job and handed to its handler; values must be JSON-serializable. */
    public JobRequest metadata(String key, Object value) {
        requireName("metadata key", key, 200);
        this.metadata.put(key, value);
        return this;
    }

    public String kind() { return kind; }
    public Object args() { return args; }
    public String queue() { return queue; }
    public int priority() { return priority; }
    public Instant runAt() { return runAt; }
    public Duration delay() { return delay; }
    public int maxAttempts() { return maxAttempts; }
    public String idempotencyKey() { return idempotencyKey; }
    public String partitionKey() { return partitionKey; }
    public String orderingKey() { return orderingKey; }
    public List<String> tags() { return List.copyOf(tags); }
    public Map<String, Object> metadata() { return Collections.unmodifiableMap(new LinkedHashMap<>(metadata)); }

    private static String requireName(String field, String value, int maxLength) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + ": must not be blank");
        }
        if (value.length() > maxLength) {
            throw new IllegalArgumentException(field + ": is " + value.length() + " characters, over the limit of "
                    + maxLength);
        }
        return value;
    }
}
