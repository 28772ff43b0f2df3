package io.pgjobs.internal.observe;

import io.pgjobs.EnqueueResult;
import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.JobState;
import io.pgjobs.SchedulerEvent;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.internal.config.ObserveConfig;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.Completion;
import io.pgjobs.internal.store.NewJob;
import io.pgjobs.internal.store.ObservationStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.slf4j.MDC;

/**
 * The one place the client and the runtime report to: it turns what happens to jobs into metrics, spans, MDC
 * entries and listener events, each switched off (and free) unless configured. The cluster and cron code
 * report node, leader and schedule events through {@link #publish} and rescues through {@link #rescued}.
 */
public final class Telemetry {
    /** The metadata key under which an enqueue carries the caller's MDC entries. */
    static final String MDC_METADATA_KEY = "pgjobs.mdc";
    /** The MDC key of the execution span's trace id. */
    static final String TRACE_ID_MDC_KEY = "pgjobs.trace_id";

    private final ObserveConfig config;
    private final String nodeId;
    private final JobMetrics metrics;
    private final JobTracing tracing;
    private final EventDispatcher events;
    private final ObservationStore store;
    private QueueStatsSampler sampler;

    public Telemetry(ObserveConfig config, String nodeId, ObservationStore store) {
        this.config = config;
        this.nodeId = nodeId;
        this.metrics = config.meterRegistry() == null ? JobMetrics.NONE : MicrometerJobMetrics.of(config.meterRegistry());
        this.tracing = config.openTelemetry() == null ? JobTracing.NONE
                : OpenTelemetryTracing.of(config.openTelemetry(), config.traceAsLink());
        this.events = config.listeners().isEmpty() ? null
                : new EventDispatcher(config.listeners(), config.eventQueueCapacity(), metrics::eventDropped);
        this.store = store;
    }

    // ---- enqueue ---------------------------------------------------------------------------------------------

    /** The metadata to store with a new job: the request's plus the caller's trace context and carried MDC. */
    public Map<String, Object> jobMetadata(Map<String, Object> requested) {
        if (tracing == JobTracing.NONE && config.mdcKeys().isEmpty()) {
            return requested;
        }
        Map<String, Object> metadata = new LinkedHashMap<>(requested);
        tracing.capture(metadata);
        Map<String, String> carried = new LinkedHashMap<>();
        for (String key : config.mdcKeys()) {
            String value = MDC.get(key);
            if (value != null) {
                carried.put(key, value);
            }
        }
        if (!carried.isEmpty()) {
            metadata.putIfAbsent(MDC_METADATA_KEY, carried);
        }
        return metadata;
    }

    /** Jobs were inserted ({@code results} by position; duplicates of an idempotency key are not new jobs). */
    public void enqueued(List<NewJob> jobs, List<EnqueueResult> results) {
        for (int i = 0; i < jobs.size(); i++) {
            if (!results.get(i).duplicate()) {
                metrics.enqueued(jobs.get(i).queue(), jobs.get(i).kind());
            }
        }
        notifyListeners(() -> {
            List<SchedulerEvent> inserted = new ArrayList<>(jobs.size());
            for (int i = 0; i < jobs.size(); i++) {
                EnqueueResult result = results.get(i);
                if (!result.duplicate()) {
                    inserted.add(new SchedulerEvent.JobEnqueued(result.id(), jobs.get(i).kind(), jobs.get(i).queue()));
                }
            }
            return inserted;
        });
    }

    /** An enqueue was refused by a queue's maximum depth. */
    public void enqueueRejected(String queue, int jobs) {
        metrics.enqueueRejected(queue, jobs);
    }

    /** An enqueue counted the waiting jobs of a queue that has a maximum depth. */
    public void queueDepthChecked(String queue, long depth, int maxDepth) {
        metrics.queueDepthChecked(queue, depth, maxDepth);
    }

    // ---- execution -------------------------------------------------------------------------------------------

    /** This node claimed {@code job} and is starting it. */
    public void started(ClaimedJob job) {
        metrics.started(job.queue(), job.kind(), job.queueWaitMs());
        if (events != null) { // checked here too: the event's supplier is not even built for every job without one
            notifyListeners(() -> List.of(new SchedulerEvent.JobStarted(job.id(), job.kind(), job.queue(),
                    job.attempt(), nodeId, Duration.ofMillis(job.queueWaitMs()))));
        }
    }

    /**
     * On the worker thread, before the handler runs (after pgjobs' own MDC keys are set): restores the MDC the
     * job carries and starts its span. {@code metadata} is only parsed when one of them is on.
     */
    public JobTracing.Span beginExecution(ClaimedJob job, Supplier<Map<String, Object>> metadata) {
        if (tracing == JobTracing.NONE && config.mdcKeys().isEmpty()) {
            return JobTracing.NO_SPAN;
        }
        Map<String, Object> jobMetadata = metadata.get();
        if (jobMetadata.get(MDC_METADATA_KEY) instanceof Map<?, ?> carried) {
            carried.forEach((key, value) -> {
                if (key instanceof String name && !name.startsWith("pgjobs.") && value != null) {
                    MDC.put(name, value.toString());
                }
            });
        }
        JobTracing.Span span = tracing.startExecution(job, jobMetadata);
        if (span.traceId() != null) {
            MDC.put(TRACE_ID_MDC_KEY, span.traceId());
        }
        return span;
    }

    /**
     * An attempt's completion was written and left the job in {@code written}; {@code handlerNanos} is how long
     * its handler ran (0 if it was abandoned).
     */
    public void attemptWritten(ClaimedJob job, Completion completion, JobState written, long handlerNanos) {
        String queue = job.queue();
        String kind = job.kind();
        Duration ran = Duration.ofNanos(handlerNanos);
        metrics.attemptEnded(queue, kind, completion.outcome(), handlerNanos);
        boolean failed = completion.outcome() == Outcome.FAILED || completion.outcome() == Outcome.TIMEOUT;
        if (written == JobState.COMPLETED) {
            metrics.completed(queue, kind);
            if (events != null) { // as in started: nothing built per job without a listener
                notifyListeners(() -> List.of(new SchedulerEvent.JobSucceeded(job.id(), kind, queue, job.attempt(),
                        ran)));
            }
        } else if (written == JobState.CANCELLED) {
            metrics.cancelled(queue, kind);
            notifyListeners(() -> List.of(new SchedulerEvent.JobCancelled(job.id(), kind, queue, job.attempt())));
        } else if (failed) {
            metrics.failed(queue, kind);
            if (written == JobState.RETRYABLE) {
                metrics.retried(queue, kind);
            } else if (written == JobState.DISCARDED) {
                metrics.discarded(queue, kind);
            }
            notifyListeners(() -> failureEvents(job, completion, written, ran));
        }
    }

    /**
     * {@code job}'s args do not hash to the checksum stored at its insert (hex {@code expected}, {@code actual}):
     * it is discarded without running; its {@code JobDiscarded} follows once that is written.
     */
    public void argsChecksumMismatch(ClaimedJob job, String expected, String actual) {
        metrics.argsChecksumMismatch(job.queue(), job.kind());
        notifyListeners(() -> List.of(new SchedulerEvent.ArgsChecksumMismatch(job.id(), job.kind(), job.queue(),
                job.attempt(), expected, actual)));
    }

    /** A job was cancelled before it ran; a running one is reported by {@link #attemptWritten} when it ends. */
    public void cancelledBeforeStart(long jobId, String kind, String queue, int attempt) {
        metrics.cancelled(queue, kind);
        notifyListeners(() -> List.of(new SchedulerEvent.JobCancelled(jobId, kind, queue, attempt)));
    }

    /** A failed attempt's event, followed by what became of the job, delivered together. */
    private static List<SchedulerEvent> failureEvents(ClaimedJob job, Completion completion, JobState written,
                                                      Duration ran) {
        List<SchedulerEvent> events = new ArrayList<>(2);
        events.add(new SchedulerEvent.JobFailed(job.id(), job.kind(), job.queue(), job.attempt(),
                completion.errorClass(), completion.message(), ran));
        if (written == JobState.RETRYABLE) {
            events.add(new SchedulerEvent.JobRetried(job.id(), job.kind(), job.queue(), job.attempt(),
                    Duration.ofMillis(completion.delayMs())));
        } else if (written == JobState.DISCARDED) {
            events.add(new SchedulerEvent.JobDiscarded(job.id(), job.kind(), job.queue(), job.attempt(),
                    completion.errorClass(), completion.message()));
        }
        return events;
    }

    /** {@code count} jobs of {@code queue} and {@code kind} were taken back from a lost node. */
    public void rescued(String queue, String kind, int count) {
        metrics.rescued(queue, kind, count);
    }

    /**
     * A kind's circuit breaker moved from one state to another on this node's doing (a recorded outcome, or a
     * probe taken); {@code probeJobId} is the probe job when it entered half_open.
     */
    public void circuitChanged(String kind, String state, String reason, Long probeJobId) {
        metrics.circuitChanged(kind, state);
        notifyListeners(() -> List.of(switch (state) {
            case "open" -> new SchedulerEvent.CircuitOpened(kind, reason);
            case "half_open" -> new SchedulerEvent.CircuitHalfOpened(kind, probeJobId);
            default -> new SchedulerEvent.CircuitClosed(kind, reason);
        }));
    }

    /**
     * One partition's circuit of a kind moved from one state to another on this node's doing (recorded outcomes,
     * or a probe its claim took); {@code probeJobId} is the probe job when it entered half_open.
     */
    public void partitionCircuitChanged(String kind, String partition, String state, String reason, Long probeJobId) {
        metrics.partitionCircuitChanged(kind, state);
        notifyListeners(() -> List.of(switch (state) {
            case "open" -> new SchedulerEvent.PartitionCircuitOpened(kind, partition, reason);
            case "half_open" -> new SchedulerEvent.PartitionCircuitHalfOpened(kind, partition, probeJobId);
            default -> new SchedulerEvent.PartitionCircuitClosed(kind, partition, reason);
        }));
    }

    /** Saga {@code workflowId} moved to {@code state} (the leader hears it from the trigger of V28). */
    public void sagaChanged(long workflowId, WorkflowStatus.SagaState state) {
        metrics.sagaChanged(state);
        notifyListeners(() -> List.of(new SchedulerEvent.SagaStateChanged(workflowId, state)));
    }

    // ---- the node --------------------------------------------------------------------------------------------

    /** Hands an event to the listeners; a leader change also moves this node's leader gauge. */
    public void publish(SchedulerEvent event) {
        if (event instanceof SchedulerEvent.LeaderChanged change) {
            metrics.leader(nodeId.equals(change.leaderId()));
        }
        notifyListeners(() -> List.of(event));
    }

    /**
     * Starts the gauges of this node's queues: running jobs, free slots and jobs claimed ahead, the sampled depth
     * and lag, and the due jobs no live node handles (a node is live while it heartbeats within
     * {@code nodeDeadAfter}).
     */
    public void startQueues(Map<String, Integer> concurrency, Map<String, IntSupplier> running,
                            Map<String, IntSupplier> buffered, Duration nodeDeadAfter) {
        concurrency.forEach((queue, slots) -> metrics.bindQueue(queue, slots, running.get(queue), buffered.get(queue)));
        if (metrics.enabled() && !concurrency.isEmpty()) {
            sampler = new QueueStatsSampler(store, metrics, List.copyOf(concurrency.keySet()), config.queueStatsInterval(),
                    nodeDeadAfter);
            sampler.start();
        }
    }

    /**
     * Starts the gauge and counter of a queue's busy polls on this node: whether it polls the queue on its own,
     * and how many times it turned busy (docs/architecture.md, "The wake-up").
     */
    public void bindBusyPolls(String queue, BooleanSupplier pollsOnItsOwn, LongSupplier turnedBusy) {
        metrics.bindBusyPolls(queue, pollsOnItsOwn, turnedBusy);
    }

    /**
     * Starts the gauge and counters of this node's share of a queue's limit: its slots, and its changes by kind
     * (grown, shrunk, expired, released; docs/flow-control.md, "Shares of a queue limit").
     */
    public void bindLimitShare(String queue, IntSupplier slots, ToLongFunction<String> changes) {
        metrics.bindLimitShare(queue, slots, changes);
    }

    public void stopQueues() {
        if (sampler != null) {
            sampler.stop();
        }
    }

    public void close() {
        stopQueues();
        if (events != null) {
            events.close();
        }
    }

    /** Builds the event only when someone listens. */
    private void notifyListeners(Supplier<List<SchedulerEvent>> delivery) {
        if (events != null) {
            events.publish(delivery.get());
        }
    }
}
