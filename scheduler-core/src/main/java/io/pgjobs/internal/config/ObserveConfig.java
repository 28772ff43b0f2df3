package io.pgjobs.internal.config;

import io.pgjobs.JobListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The observability settings of one scheduler. The Micrometer registry and the OpenTelemetry instance are held
 * as {@code Object} so that this record, and everything that reads it, loads without those optional libraries
 * on the class path; only {@link MicrometerJobMetrics} and {@link OpenTelemetryTracing} cast them.
 */
public record ObserveConfig(
        List<JobListener> listeners,
        int eventQueueCapacity,
        Object meterRegistry,
        Object openTelemetry,
        boolean traceAsLink,
        List<String> mdcKeys,
        Duration queueStatsInterval,
        Duration queueLagThreshold) {

    private static final Pattern MDC_KEY = Pattern.compile("[A-Za-z0-9_.-]{1,100}");

    /** A one-line summary for the start-up log line. */
    public String describe() {
        return "listeners=" + listeners.size() + " metrics=" + (meterRegistry == null ? "off" : "on")
                + " tracing=" + (openTelemetry == null ? "off" : traceAsLink ? "link" : "parent")
                + " carryMdc=" + mdcKeys + " queueLagThreshold=" + queueLagThreshold;
    }

    public static final class Builder {
        private final List<JobListener> listeners = new ArrayList<>();
        private int eventQueueCapacity = 10_000;
        private Object meterRegistry;
        private Object openTelemetry;
        private boolean traceAsLink;
        private final List<String> mdcKeys = new ArrayList<>();
        private Duration queueStatsInterval = Duration.ofSeconds(15);
        private Duration queueLagThreshold = Duration.ofMinutes(5);

        public void listener(JobListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
        }

        public void eventQueueCapacity(int capacity) {
            if (capacity < 1 || capacity > 1_000_000) {
                throw new IllegalArgumentException("eventQueueCapacity: " + capacity + " is out of range 1..1000000");
            }
            this.eventQueueCapacity = capacity;
        }

        public void meterRegistry(Object registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
        }

        public void openTelemetry(Object openTelemetry, boolean asLink) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
            this.traceAsLink = asLink;
        }

        public void carryMdc(String... keys) {
            for (String key : keys) {
                if (key == null || !MDC_KEY.matcher(key).matches() || key.startsWith("pgjobs.")) {
                    throw new IllegalArgumentException("carryMdc: '" + key + "' is not a carried MDC key (1 to 100 "
                            + "letters, digits, '_', '.', '-', not starting with 'pgjobs.')");
                }
                if (!mdcKeys.contains(key)) {
                    mdcKeys.add(key);
                }
            }
        }

        public void queueStatsInterval(Duration interval) {
            this.queueStatsInterval = Durations.requireBetween("queueStatsInterval", interval, Duration.ofMillis(100), Duration.ofHours(1));
        }

        public void queueLagThreshold(Duration threshold) {
            this.queueLagThreshold = Durations.requireBetween("queueLagThreshold", threshold, Duration.ofSeconds(1), Duration.ofDays(7));
        }

        public ObserveConfig build() {
            return new ObserveConfig(List.copyOf(listeners), eventQueueCapacity, meterRegistry, openTelemetry,
                    traceAsLink, List.copyOf(mdcKeys), queueStatsInterval, queueLagThreshold);
        }
    }
}
