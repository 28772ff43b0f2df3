package io.pgjobs.internal.observe;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.Completion;
import java.util.Locale;
import java.util.Map;

/**
 * {@link JobTracing} with OpenTelemetry, the only class of pgjobs that touches it (loaded only when an
 * OpenTelemetry instance was configured). The context always travels as W3C trace context in the job's
 * metadata, whatever propagators the application configured, because the job may run in another service.
 */
final class OpenTelemetryTracing implements JobTracing {
    private static final AttributeKey<Long> JOB_ID = AttributeKey.longKey("pgjobs.job.id");
    private static final AttributeKey<String> JOB_KIND = AttributeKey.stringKey("pgjobs.job.kind");
    private static final AttributeKey<String> JOB_QUEUE = AttributeKey.stringKey("pgjobs.job.queue");
    private static final AttributeKey<Long> JOB_ATTEMPT = AttributeKey.longKey("pgjobs.job.attempt");
    private static final AttributeKey<String> JOB_OUTCOME = AttributeKey.stringKey("pgjobs.job.outcome");
    private static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    private static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");
    private static final AttributeKey<String> EXCEPTION_STACKTRACE = AttributeKey.stringKey("exception.stacktrace");

    private static final TextMapGetter<Map<String, Object>> METADATA = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, Object> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, Object> carrier, String key) {
            Object value = carrier == null ? null : carrier.get(key);
            return value instanceof String text ? text : null;
        }
    };

    private final Tracer tracer;
    private final boolean asLink;

    private OpenTelemetryTracing(OpenTelemetry openTelemetry, boolean asLink) {
        this.tracer = openTelemetry.getTracer("io.pgjobs");
        this.asLink = asLink;
    }

    /** Typed as Object so that callers never name OpenTelemetry's classes. */
    static JobTracing of(Object openTelemetry, boolean asLink) {
        return new OpenTelemetryTracing((OpenTelemetry) openTelemetry, asLink);
    }

    @Override
    public void capture(Map<String, Object> metadata) {
        if (metadata.containsKey(TRACEPARENT)) {
            return;
        }
        Context current = Context.current();
        if (io.opentelemetry.api.trace.Span.fromContext(current).getSpanContext().isValid()) {
            W3CTraceContextPropagator.getInstance().inject(current, metadata, (carrier, key, value) -> carrier.put(key, value));
        }
    }

    @Override
    public Span startExecution(ClaimedJob job, Map<String, Object> metadata) {
        Context enqueued = W3CTraceContextPropagator.getInstance().extract(Context.root(), metadata, METADATA);
        SpanContext enqueuedSpan = io.opentelemetry.api.trace.Span.fromContext(enqueued).getSpanContext();
        SpanBuilder builder = tracer.spanBuilder("pgjobs.execute " + job.kind())
                .setSpanKind(SpanKind.CONSUMER)
                .setAttribute(JOB_ID, job.id())
                .setAttribute(JOB_KIND, job.kind())
                .setAttribute(JOB_QUEUE, job.queue())
                .setAttribute(JOB_ATTEMPT, (long) job.attempt())
                .setAttribute("messaging.system", "pgjobs")
                .setAttribute("messaging.destination.name", job.queue())
                .setAttribute("messaging.operation.type", "process");
        if (!enqueuedSpan.isValid()) {
            builder.setNoParent();
        } else if (asLink) {
            builder.setNoParent().addLink(enqueuedSpan);
        } else {
            builder.setParent(enqueued);
        }
        io.opentelemetry.api.trace.Span span = builder.startSpan();
        Scope scope = span.makeCurrent();
        return new Span() {
            @Override
            public String traceId() {
                return span.getSpanContext().getTraceId();
            }

            @Override
            public void end(Completion completion) {
                try {
                    record(span, completion);
                } finally {
                    scope.close();
                    span.end();
                }
            }
        };
    }

    private static void record(io.opentelemetry.api.trace.Span span, Completion completion) {
        if (completion == null) {
            span.setStatus(StatusCode.ERROR, "the attempt ended without an outcome");
            return;
        }
        span.setAttribute(JOB_OUTCOME, completion.outcome().name().toLowerCase(Locale.ROOT));
        if (completion.outcome() == Outcome.FAILED || completion.outcome() == Outcome.TIMEOUT) {
            // the semantic-convention "exception" event, as Span.recordException writes it
            span.addEvent("exception", Attributes.of(EXCEPTION_TYPE, completion.errorClass(),
                    EXCEPTION_MESSAGE, String.valueOf(completion.message()),
                    EXCEPTION_STACKTRACE, String.valueOf(completion.stackTrace())));
            span.setStatus(StatusCode.ERROR, completion.errorClass() + ": " + completion.message());
        }
    }
}
