package io.pgjobs.dashboard;

import jakarta.servlet.http.HttpServletRequest;

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
    /** The user making {@code request}, or null when it is not authenticated (answered with 401). */
    DashboardUser authenticate(HttpServletRequest request);

    /** The {@code WWW-Authenticate} header sent with a 401, or null for none. */
    default String challenge() {
        return null;
    }
}
