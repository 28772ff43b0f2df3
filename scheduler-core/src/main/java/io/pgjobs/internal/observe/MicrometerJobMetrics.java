package io.pgjobs.internal.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.admin.UnhandledKind;
import io.pgjobs.internal.store.QueueStat;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * {@link JobMetrics} on a Micrometer registry. The only class of pgjobs that touches Micrometer: it is loaded
 * only when a registry was configured. Meters are looked up once per queue and kind, then cached, so recording
 * costs a map lookup and an atomic add.
 */
final class MicrometerJobMetrics implements JobMetrics {
    private final MeterRegistry registry;
    private final Map<QueueKind, JobMeters> jobMeters = new ConcurrentHashMap<>();
    private final Map<DurationKey, Timer> durations = new ConcurrentHashMap<>();
    /** Gauges hold their state weakly: this map keeps it alive for the registry. */
    private final Map<String, QueueGauges> queueGauges = new ConcurrentHashMap<>();
    private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
    /** The saturation of each queue with a maximum depth, as its last enqueue counted it, in millionths. */
    private final Map<String, AtomicLong> saturation = new ConcurrentHashMap<>();
    /** The depth and lag of a queue not sampled yet: reported as NaN, not as an empty queue. */
    private static final long NOT_SAMPLED = -1;
    private final AtomicLong leader = new AtomicLong();
    /** The due jobs no live node handles, by queue and kind: groups once seen stay, at zero when gone. */
    private final Map<QueueKind, AtomicLong> unhandled = new ConcurrentHashMap<>();
    private final Counter eventsDropped;
    /** What function counters read: Micrometer holds it weakly, this list strongly. */
    private final List<Object> counted = new CopyOnWriteArrayList<>();

    private record QueueKind(String queue, String kind) {}

    private record DurationKey(String queue, String kind, Outcome outcome) {}

    private record QueueGauges(AtomicLong depth, AtomicLong lagMs) {}

    /** The counters and the queue-wait timer of one queue and kind. */
    private record JobMeters(Counter enqueued, Counter completed, Counter failed, Counter retried, Counter discarded,
                             Counter cancelled, Counter rescued, Timer queueWait) {}

    private MicrometerJobMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.eventsDropped = Counter.builder("pgjobs.events.dropped")
                .description("Events not delivered to listeners because the event queue was full")
                .register(registry);
        Gauge.builder("pgjobs.leader", leader, AtomicLong::get)
                .description("1 while this node is the cluster's leader, else 0")
                .register(registry);
    }

    /** Typed as Object so that callers never name Micrometer's classes. */
    static JobMetrics of(Object registry) {
        return new MicrometerJobMetrics((MeterRegistry) registry);
    }

    @Override public void enqueued(String queue, String kind) { meters(queue, kind).enqueued().increment(); }

    @Override
    public void started(String queue, String kind, long queueWaitMs) {
        meters(queue, kind).queueWait().record(queueWaitMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void attemptEnded(String queue, String kind, Outcome outcome, long handlerNanos) {
        if (handlerNanos > 0) {
            durations.computeIfAbsent(new DurationKey(queue, kind, outcome), key -> Timer.builder("pgjobs.jobs.duration")
                            .description("How long handlers ran, by the attempt's outcome")
                            .tags("queue", queue, "kind", kind, "outcome", outcome.name().toLowerCase(Locale.ROOT))
                            .publishPercentileHistogram()
                            .maximumExpectedValue(Duration.ofHours(1))
                            .register(registry))
                    .record(handlerNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override public void completed(String queue, String kind) { meters(queue, kind).completed().increment(); }
    @Override public void failed(String queue, String kind) { meters(queue, kind).failed().increment(); }
    @Override public void retried(String queue, String kind) { meters(queue, kind).retried().increment(); }
    @Override public void discarded(String queue, String kind) { meters(queue, kind).discarded().increment(); }
    @Override public void cancelled(String queue, String kind) { meters(queue, kind).cancelled().increment(); }
    @Override public void rescued(String queue, String kind, int count) { meters(queue, kind).rescued().increment(count); }
    @Override public void eventDropped() { eventsDropped.increment(); }

    @Override
    public void enqueueRejected(String queue, int jobs) {
        rejected.computeIfAbsent(queue, q -> Counter.builder("pgjobs.enqueue.rejected")
                        .description("Jobs refused at enqueue because their queue was at its maximum depth")
                        .tag("queue", q).register(registry))
                .increment(jobs);
    }

    @Override
    public void queueDepthChecked(String queue, long depth, int maxDepth) {
        saturation.computeIfAbsent(queue, q -> {
            AtomicLong millionths = new AtomicLong();
            Gauge.builder("pgjobs.queue.saturation", millionths, m -> m.get() / 1e6)
                    .description("Waiting jobs over the queue's maximum depth, as this node's last enqueue counted "
                            + "them (1 is full)")
                    .tag("queue", q).register(registry);
            return millionths;
        }).set(depth * 1_000_000 / maxDepth);
    }

    @Override
    public void bindQueue(String queue, int concurrency, IntSupplier running, IntSupplier buffered) {
        queueGauges.computeIfAbsent(queue, this::registerQueueGauges);
        // Micrometer holds gauge state weakly by default, and nothing else keeps this supplier alive
        Gauge.builder("pgjobs.jobs.running", running, r -> r.getAsInt()).strongReference(true)
                .description("Jobs of the queue running on this node").tag("queue", queue).register(registry);
        Gauge.builder("pgjobs.slots.free", running, r -> concurrency - r.getAsInt()).strongReference(true)
                .description("Free execution slots of the queue on this node").tag("queue", queue).register(registry);
        Gauge.builder("pgjobs.jobs.buffered", buffered, b -> b.getAsInt()).strongReference(true)
                .description("Jobs of the queue this node claimed ahead of a free slot and has not started yet")
                .tag("queue", queue).register(registry);
    }

    @Override
    public void queueStats(List<QueueStat> stats) {
        for (QueueStat stat : stats) {
            QueueGauges gauges = queueGauges.computeIfAbsent(stat.queue(), this::registerQueueGauges);
            gauges.depth().set(stat.depth());
            gauges.lagMs().set(stat.lagMs());
        }
    }

    @Override
    public void bindBusyPolls(String queue, BooleanSupplier pollsOnItsOwn, LongSupplier turnedBusy) {
        Gauge.builder("pgjobs.queue.busy", pollsOnItsOwn, p -> p.getAsBoolean() ? 1 : 0).strongReference(true)
                .description("1 while this node polls the queue on its own (enqueues into it skip their notification)")
                .tag("queue", queue).register(registry);
        counted.add(turnedBusy);
        FunctionCounter.builder("pgjobs.queue.busy.turns", turnedBusy, t -> t.getAsLong())
                .description("Times this node turned busy on the queue and began promising to poll it on its own")
                .tag("queue", queue).register(registry);
    }

    @Override
    public void bindLimitShare(String queue, IntSupplier slots, ToLongFunction<String> changes) {
        Gauge.builder("pgjobs.limit.share.slots", slots, s -> s.getAsInt()).strongReference(true)
                .description("Slots of the queue's limit this node's share holds: its jobs that may execute at once")
                .tag("queue", queue).register(registry);
        counted.add(changes);
        for (String change : SHARE_CHANGES) {
            FunctionCounter.builder("pgjobs.limit.share.changes", changes, c -> c.applyAsLong(change))
                    .description("Changes of this node's share of the queue's limit: renewals that grew or shrank it, "
                            + "renewals after it had expired, releases")
                    .tags("queue", queue, "change", change).register(registry);
        }
    }

    @Override public void leader(boolean isLeader) { leader.set(isLeader ? 1 : 0); }

    @Override
    public void unhandled(List<UnhandledKind> found) {
        Map<QueueKind, Long> counts = new HashMap<>();
        found.forEach(u -> counts.put(new QueueKind(u.queue(), u.kind()), u.jobs()));
        counts.keySet().forEach(key -> unhandled.computeIfAbsent(key, this::registerUnhandled));
        unhandled.forEach((key, jobs) -> jobs.set(counts.getOrDefault(key, 0L)));
    }

    private AtomicLong registerUnhandled(QueueKind key) {
        AtomicLong jobs = new AtomicLong();
        Gauge.builder("pgjobs.jobs.unhandled", jobs, AtomicLong::get)
                .description("Due jobs of the queue and kind that no live node handles")
                .tags("queue", key.queue(), "kind", key.kind()).register(registry);
        return jobs;
    }

    @Override
    public void argsChecksumMismatch(String queue, String kind) {
        Counter.builder("pgjobs.jobs.args.mismatches")
                .description("Claimed jobs whose args did not match the checksum stored at enqueue, discarded unrun")
                .tags("queue", queue, "kind", kind)
                .register(registry).increment();
    }

    @Override
    public void circuitChanged(String kind, String state) {
        Counter.builder("pgjobs.circuit.transitions")
                .description("Circuit breaker state changes this node made, by the state entered")
                .tags("kind", kind, "state", state)
                .register(registry).increment();
    }

    @Override
    public void partitionCircuitChanged(String kind, String state) {
        Counter.builder("pgjobs.circuit.partition.transitions")
                .description("State changes of circuits per partition this node made, by kind and the state entered")
                .tags("kind", kind, "state", state)
                .register(registry).increment();
    }

    @Override
    public void sagaChanged(WorkflowStatus.SagaState state) {
        Counter.builder("pgjobs.sagas.transitions")
                .description("Saga state changes, counted by the leader, by the state entered")
                .tags("state", state.name().toLowerCase(Locale.ROOT))
                .register(registry).increment();
    }

    @Override public boolean enabled() { return true; }

    private QueueGauges registerQueueGauges(String queue) {
        QueueGauges gauges = new QueueGauges(new AtomicLong(NOT_SAMPLED), new AtomicLong(NOT_SAMPLED));
        Gauge.builder("pgjobs.queue.depth", gauges.depth(), depth -> sampled(depth.get()))
                .description("Due jobs waiting in the queue (counted up to a cap)").tag("queue", queue)
                .register(registry);
        Gauge.builder("pgjobs.queue.lag", gauges.lagMs(), lag -> sampled(lag.get()) / 1000.0)
                .description("Age of the queue's oldest due job").baseUnit("seconds").tag("queue", queue)
                .register(registry);
        return gauges;
    }

    private static double sampled(long value) {
        return value == NOT_SAMPLED ? Double.NaN : value;
    }

    private JobMeters meters(String queue, String kind) {
        return jobMeters.computeIfAbsent(new QueueKind(queue, kind), key -> new JobMeters(
                counter("pgjobs.jobs.enqueued", "Jobs inserted (not counting idempotency duplicates)", key),
                counter("pgjobs.jobs.completed", "Jobs that completed successfully", key),
                counter("pgjobs.jobs.failed", "Attempts that failed or timed out", key),
                counter("pgjobs.jobs.retried", "Failed jobs scheduled to run again", key),
                counter("pgjobs.jobs.discarded", "Jobs moved to the dead-letter state", key),
                counter("pgjobs.jobs.cancelled", "Running jobs that ended cancelled", key),
                counter("pgjobs.jobs.rescued", "Jobs taken back from a lost node to run again", key),
                Timer.builder("pgjobs.jobs.queue.wait")
                        .description("How long jobs were due before an attempt started (database time)")
                        .tags("queue", key.queue(), "kind", key.kind())
                        .publishPercentileHistogram()
                        .maximumExpectedValue(Duration.ofHours(1))
                        .register(registry)));
    }

    private Counter counter(String name, String description, QueueKind key) {
        return Counter.builder(name).description(description).tags("queue", key.queue(), "kind", key.kind())
                .register(registry);
    }
}
