package io.pgjobs.dashboard;

import java.util.Objects;

/** Who is looking at the dashboard, as the host's authentication (or the standalone server's) decided. */
public record DashboardUser(String name, Role role) {
    /** A viewer reads everything; an operator may also act (retry, cancel, delete, pause, trigger...). */
    public enum Role { VIEWER, OPERATOR }

    public DashboardUser {
        Objects.requireNonNull(role, "role");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: a dashboard user needs a name (it is written to the audit log)");
        }
    }

    public boolean mayAct() {
        return role == Role.OPERATOR;
    }
}
