package io.pgjobs.internal.observe;

import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.Completion;
import java.util.Map;

/**
 * Trace propagation from enqueue to execution. {@link #NONE} unless an OpenTelemetry instance is configured,
 * so OpenTelemetry's classes are never loaded otherwise; {@link OpenTelemetryTracing} then.
 */
public interface JobTracing {
    /** The metadata key of the W3C trace context an enqueue captures (with {@code tracestate} when present). */
    String TRACEPARENT = "traceparent";

    /** Adds the calling thread's current trace context to a job's {@code metadata}, unless it has one already. */
    void capture(Map<String, Object> metadata);

    /** Starts the span of one attempt on the worker thread and makes it current there. */
    Span startExecution(ClaimedJob job, Map<String, Object> metadata);

    /** The span of one attempt: ended on the thread that started it. */
    interface Span {
        /** The trace id, for the MDC; null when there is no span. */
        String traceId();

        /** Records the attempt's outcome (null: the handler ended in an error pgjobs could not classify) and ends it. */
        void end(Completion completion);
    }

    Span NO_SPAN = new Span() {
        @Override public String traceId() { return null; }
        @Override public void end(Completion completion) {}
    };

    JobTracing NONE = new JobTracing() {
        @Override public void capture(Map<String, Object> metadata) {}
        @Override public Span startExecution(ClaimedJob job, Map<String, Object> metadata) { return NO_SPAN; }
    };
}
