package io.pgjobs.admin;

import java.time.Instant;

/**
 * Which audit entries to list; null fields match everything. {@code actor} and {@code action} match exactly
 * (actions are named as the audit log names them, such as {@code retry} or {@code bulk_cancel}); the time
 * range includes its start and excludes its end.
 */
public record AuditFilter(String actor, String action, Instant from, Instant to) {
    public static final AuditFilter ALL = new AuditFilter(null, null, null, null);

    public AuditFilter {
        actor = blankToNull(actor);
        action = blankToNull(action);
        if (actor != null && (actor.length() > 200 || actor.indexOf('\0') >= 0)) {
            throw new IllegalArgumentException("actor: a name of at most 200 characters without NUL");
        }
        if (action != null && !action.matches("[a-z_]{1,50}")) {
            throw new IllegalArgumentException("action: an audit action such as retry or bulk_cancel"
                    + " (lower-case letters and underscores), got '" + action + "'");
        }
        if (from != null && to != null && !from.isBefore(to)) {
            throw new IllegalArgumentException("from: must be before to");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
