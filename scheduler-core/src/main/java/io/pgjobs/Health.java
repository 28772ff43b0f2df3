package io.pgjobs;

import java.util.List;
import java.util.Objects;

/**
 * What {@link Scheduler#health()} found: one {@link Check} per concern and the overall {@link Status}, the
 * worst of them ({@link Status#UNKNOWN} counts as {@link Status#UP}: a check that cannot tell yet never fails a
 * probe).
 *
 * <p>For Kubernetes probes: {@link #livenessStatusCode()} answers 503 only when this node's own loops stopped
 * working (a restart helps); {@link #readinessStatusCode()} answers 503 whenever the overall status is
 * {@link Status#DOWN} (the database is unreachable, say: take the pod out of rotation but do not restart it).
 * A {@link Status#DEGRADED} scheduler (queues lagging, jobs landing in the dead-letter state) stays 200 on both.
 *
 * @param status the overall status, the worst of the checks'
 * @param checks one finding per concern
 */
public record Health(Status status, List<Check> checks) {
    /** The name of the check that {@link #livenessStatusCode()} looks at. */
    public static final String NODE_CHECK = "node";

    /** How a concern, or the whole, stands; from best to worst. */
    public enum Status {
        /** Working. */
        UP,
        /** Not known yet (a check that cannot tell yet); counts as {@link #UP}. */
        UNKNOWN,
        /** Working, but something needs an operator's look (a queue lagging, jobs discarded). */
        DEGRADED,
        /** Not working. */
        DOWN
    }

    /**
     * One concern's finding; {@code detail} says what was measured, in words.
     *
     * @param name the concern's name
     * @param status how it stands
     * @param detail what was measured, in words
     */
    public record Check(String name, Status status, String detail) {
        /**
         * Checks that no field is null.
         *
         * @throws NullPointerException naming the null field
         */
        public Check {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /**
     * Copies the checks.
     *
     * @throws NullPointerException when the status or a check is null
     */
    public Health {
        checks = List.copyOf(checks);
        Objects.requireNonNull(status, "status");
    }

    /**
     * A health whose overall status is the worst of {@code checks}.
     *
     * @param checks the findings
     * @return the health
     */
    public static Health of(List<Check> checks) {
        Status worst = Status.UP;
        for (Check check : checks) {
            Status status = check.status() == Status.UNKNOWN ? Status.UP : check.status();
            if (status.compareTo(worst) > 0) {
                worst = status;
            }
        }
        return new Health(worst, checks);
    }

    /** {@return 503 when this node's own heartbeat check is {@link Status#DOWN}, else 200} */
    public int livenessStatusCode() {
        boolean nodeDown = checks.stream().anyMatch(c -> c.name().equals(NODE_CHECK) && c.status() == Status.DOWN);
        return nodeDown ? 503 : 200;
    }

    /** {@return 503 when the overall status is {@link Status#DOWN}, else 200} */
    public int readinessStatusCode() {
        return status == Status.DOWN ? 503 : 200;
    }

    /** {@return this health as a JSON object: {@code {"status":"UP","checks":[{"name":..,"status":..,"detail":..}]}}} */
    public String toJson() {
        StringBuilder json = new StringBuilder("{\"status\":\"").append(status).append("\",\"checks\":[");
        for (int i = 0; i < checks.size(); i++) {
            Check check = checks.get(i);
            json.append(i == 0 ? "" : ",").append("{\"name\":");
            appendString(json, check.name());
            json.append(",\"status\":\"").append(check.status()).append("\",\"detail\":");
            appendString(json, check.detail());
            json.append('}');
        }
        return json.append("]}").toString();
    }

    private static void appendString(StringBuilder json, String value) {
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }
}
