package io.pgjobs.spring.boot;

import io.pgjobs.dashboard.DashboardAuth;
import io.pgjobs.dashboard.DashboardUser;
import jakarta.servlet.http.HttpServletRequest;

/**
 * The dashboard's users are the application's: the request's principal, with the operator or viewer role from
 * {@code isUserInRole}, which Spring Security answers from the user's authorities. No second user store.
 */
final class ServletRoleAuth implements DashboardAuth {
    private final String operatorRole;
    private final String viewerRole;

    ServletRoleAuth(String operatorRole, String viewerRole) {
        this.operatorRole = operatorRole;
        this.viewerRole = viewerRole;
    }

    @Override
    public DashboardUser authenticate(HttpServletRequest request) {
        if (request.getUserPrincipal() == null) {
            return null;
        }
        String name = request.getUserPrincipal().getName();
        if (request.isUserInRole(operatorRole)) {
            return new DashboardUser(name, DashboardUser.Role.OPERATOR);
        }
        return request.isUserInRole(viewerRole) ? new DashboardUser(name, DashboardUser.Role.VIEWER) : null;
    }
}
