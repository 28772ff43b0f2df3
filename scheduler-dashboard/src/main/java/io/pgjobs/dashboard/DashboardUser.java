package io.pgjobs.dashboard;

import java.util.Objects;

/**
 * Who is looking at the dashboard, as the host's authentication (or the standalone server's) decided.
 *
 * @param name the user's name, as written to the audit log
 * @param role what the user may do
 */
public record DashboardUser(String name, Role role) {
    /** A viewer reads everything; an operator may also act (retry, cancel, delete, pause, trigger...). */
    public enum Role {
        /** Reads everything. */
        VIEWER,
        /** Reads everything and acts. */
        OPERATOR
    }

    /**
     * Checks the name and the role.
     *
     * @throws IllegalArgumentException when the name is blank
     */
    public DashboardUser {
        Objects.requireNonNull(role, "role");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: a dashboard user needs a name (it is written to the audit log)");
        }
    }

    /** {@return whether the user may act: an operator} */
    public boolean mayAct() {
        return role == Role.OPERATOR;
    }
}
