package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.MDC;

class TracingTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("trace.work")
    record Work(boolean fail) {}

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final OpenTelemetrySdk openTelemetry = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
            .build();
    private final Tracer tracer = openTelemetry.getTracer("test");
    /** The handler's MDC, by job id. */
    private final Map<Long, Map<String, String>> mdc = new ConcurrentHashMap<>();
    private Scheduler scheduler;

    @AfterEach
    void stop() {
        openTelemetry.close();
        MDC.clear();
    }

    private Scheduler.Builder builder() {
        return Scheduler.builder(db.dataSource()).queue("default", 2).pollInterval(Duration.ofMillis(50))
                .handler(Work.class, ctx -> {
                    mdc.put(ctx.jobId(), MDC.getCopyOfContextMap());
                    tracer.spanBuilder("inside the handler").startSpan().end();
                    if (ctx.args().fail()) {
                        throw new IllegalStateException("handler broke");
                    }
                    return null;
                });
    }

    /** Enqueues inside a span of the caller's; returns the job id and that span. */
    private record Enqueued(long jobId, SpanData callerSpan) {}

    private Enqueued enqueueInSpan(JobRequest request) {
        Span caller = tracer.spanBuilder("http request").startSpan();
        long id;
        try (Scope ignored = caller.makeCurrent()) {
            id = scheduler.client().enqueue(request).id();
        } finally {
            caller.end();
        }
        return new Enqueued(id, span("http request"));
    }

    private SpanData span(String name) {
        return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow();
    }

    private SpanData awaitExecutionSpan(long jobId) throws Exception {
        Await.until(Duration.ofSeconds(20), "the execution span of job " + jobId, () -> executionSpans(jobId).size() == 1);
        return executionSpans(jobId).getFirst();
    }

    private List<SpanData> executionSpans(long jobId) {
        return exporter.getFinishedSpanItems().stream()
                .filter(s -> Long.valueOf(jobId).equals(s.getAttributes().get(AttributeKey.longKey("pgjobs.job.id"))))
                .toList();
    }

    @Test
    void theExecutionContinuesTheTraceThatEnqueuedTheJob() throws Exception {
        scheduler = schedulers.start(builder().openTelemetry(openTelemetry));
        Enqueued enqueued = enqueueInSpan(JobRequest.of(new Work(false)));

        SpanData execution = awaitExecutionSpan(enqueued.jobId());
        assertThat(execution.getName()).isEqualTo("pgjobs.execute trace.work");
        assertThat(execution.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(execution.getTraceId()).isEqualTo(enqueued.callerSpan().getTraceId());
        assertThat(execution.getParentSpanId()).isEqualTo(enqueued.callerSpan().getSpanId());
        assertThat(execution.getAttributes().get(AttributeKey.stringKey("pgjobs.job.kind"))).isEqualTo("trace.work");
        assertThat(execution.getAttributes().get(AttributeKey.stringKey("pgjobs.job.queue"))).isEqualTo("default");
        assertThat(execution.getAttributes().get(AttributeKey.longKey("pgjobs.job.attempt"))).isEqualTo(1L);
        assertThat(execution.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        // the handler's own spans are children of the execution span, and its MDC carries the trace id
        assertThat(span("inside the handler").getParentSpanId()).isEqualTo(execution.getSpanId());
        assertThat(mdc.get(enqueued.jobId())).containsEntry("pgjobs.trace_id", execution.getTraceId());
        Job job = scheduler.client().get(enqueued.jobId()).orElseThrow();
        assertThat(job.metadata()).contains("traceparent").contains(enqueued.callerSpan().getSpanId());
    }

    @Test
    void aFailedAttemptRecordsTheErrorOnItsSpan() throws Exception {
        scheduler = schedulers.start(builder().openTelemetry(openTelemetry));
        Enqueued enqueued = enqueueInSpan(JobRequest.of(new Work(true)).maxAttempts(1));

        SpanData execution = awaitExecutionSpan(enqueued.jobId());
        assertThat(execution.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(execution.getStatus().getDescription()).contains("handler broke");
        assertThat(execution.getEvents()).singleElement().satisfies(event -> {
            assertThat(event.getName()).isEqualTo("exception");
            assertThat(event.getAttributes().get(AttributeKey.stringKey("exception.type")))
                    .isEqualTo(IllegalStateException.class.getName());
            assertThat(event.getAttributes().get(AttributeKey.stringKey("exception.stacktrace"))).contains("handler broke");
        });
    }

    @Test
    void inLinkModeTheExecutionStartsATraceLinkedToTheEnqueue() throws Exception {
        scheduler = schedulers.start(builder().openTelemetryLinked(openTelemetry));
        Enqueued enqueued = enqueueInSpan(JobRequest.of(new Work(false)));

        SpanData execution = awaitExecutionSpan(enqueued.jobId());
        assertThat(execution.getTraceId()).isNotEqualTo(enqueued.callerSpan().getTraceId());
        assertThat(execution.getParentSpanContext().isValid()).isFalse();
        assertThat(execution.getLinks()).singleElement().satisfies(link -> {
            assertThat(link.getSpanContext().getTraceId()).isEqualTo(enqueued.callerSpan().getTraceId());
            assertThat(link.getSpanContext().getSpanId()).isEqualTo(enqueued.callerSpan().getSpanId());
        });
    }

    @Test
    void aJobEnqueuedOutsideAnyTraceRunsInARootSpan() throws Exception {
        scheduler = schedulers.start(builder().openTelemetry(openTelemetry));
        long id = scheduler.client().enqueue(new Work(false)).id();

        SpanData execution = awaitExecutionSpan(id);
        assertThat(execution.getParentSpanContext().isValid()).isFalse();
        assertThat(scheduler.client().get(id).orElseThrow().metadata()).doesNotContain("traceparent");
    }

    @Test
    void carriesTheCallersMdcIntoTheJob() throws Exception {
        scheduler = schedulers.start(builder().carryMdc("request_id", "tenant"));
        MDC.put("request_id", "req-42");
        MDC.put("not_carried", "x");
        long id = scheduler.client().enqueue(new Work(false)).id();
        MDC.clear();

        Await.until(Duration.ofSeconds(20), "the job ran", () -> mdc.containsKey(id));
        assertThat(mdc.get(id)).containsEntry("request_id", "req-42").doesNotContainKeys("tenant", "not_carried", "pgjobs.trace_id")
                .containsEntry("pgjobs.job_id", Long.toString(id)).containsEntry("pgjobs.kind", "trace.work")
                .containsEntry("pgjobs.queue", "default").containsEntry("pgjobs.attempt", "1")
                .containsEntry("pgjobs.node", scheduler.nodeId());
        assertThat(scheduler.client().get(id).orElseThrow().metadata()).contains("pgjobs.mdc").contains("req-42");
    }

    @Test
    void rejectsAnInvalidMdcKeyWhenSet() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> Scheduler.builder(db.dataSource()).carryMdc("pgjobs.job_id"))
                .withMessageContaining("carryMdc");
    }
}
