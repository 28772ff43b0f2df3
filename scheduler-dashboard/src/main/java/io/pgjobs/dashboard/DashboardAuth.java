package io.pgjobs.dashboard;

import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;

/**
 * The hook through which a host application tells the dashboard who the user is. Embedded, it usually reads
 * the host's own authentication, e.g. with Spring Security:
 *
 * <pre>{@code
 * DashboardAuth auth = request -> request.getUserPrincipal() == null ? null
 *         : new DashboardUser(request.getUserPrincipal().getName(),
 *                 request.isUserInRole("OPS") ? DashboardUser.Role.OPERATOR : DashboardUser.Role.VIEWER);
 * }</pre>
 */
@FunctionalInterface
public interface DashboardAuth {
    /**
     * The user making {@code request}, or null when it is not authenticated (answered with 401). Throws
     * {@link Throttled} to refuse an attempt outright (answered with 429 and {@code Retry-After}).
     *
     * @param request the request
     * @return the user; null when it is not authenticated
     */
    DashboardUser authenticate(HttpServletRequest request);

    /** Too many failed logins: the client must wait {@code retryAfter} before it tries again. */
    final class Throttled extends RuntimeException {
        /** How long the client must wait. */
        private final Duration retryAfter;

        /**
         * A refused attempt.
         *
         * @param retryAfter how long the client must wait
         */
        public Throttled(Duration retryAfter) {
            super("too many failed logins; try again in " + seconds(retryAfter) + " s");
            this.retryAfter = retryAfter;
        }

        /** {@return how long the client must wait} */
        public Duration retryAfter() {
            return retryAfter;
        }

        /** {@return the wait in whole seconds, rounded up, as {@code Retry-After} gives it} */
        public long retryAfterSeconds() {
            return seconds(retryAfter);
        }

        private static long seconds(Duration wait) {
            return Math.max(1, wait.plusNanos(999_999_999).toSeconds());
        }
    }

    /** {@return the {@code WWW-Authenticate} header sent with a 401, or null for none} */
    default String challenge() {
        return null;
    }
}
