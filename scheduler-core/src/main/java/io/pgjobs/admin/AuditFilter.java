package io.pgjobs.admin;

import io.pgjobs.internal.values.Excerpt;
import io.pgjobs.internal.values.PgValues;
import java.time.Instant;

/**
 * Which audit entries to list; null fields match everything. {@code actor} and {@code action} match exactly
 * (actions are named as the audit log names them, such as {@code retry} or {@code bulk_cancel}); the time
 * range includes its start and excludes its end. A bad field throws {@link IllegalArgumentException} naming it.
 *
 * @param actor the actor, exactly; null for any
 * @param action the action, exactly; null for any
 * @param from taken at or after; null for no bound
 * @param to taken before; null for no bound
 */
public record AuditFilter(String actor, String action, Instant from, Instant to) {
    /** Every entry. */
    public static final AuditFilter ALL = new AuditFilter(null, null, null, null);

    /**
     * Checks every field (blank actor and action become null).
     *
     * @throws IllegalArgumentException naming the field that is bad
     */
    public AuditFilter {
        actor = blankToNull(actor);
        action = blankToNull(action);
        if (actor != null && actor.length() > 200) {
            throw new IllegalArgumentException("actor: at most 200 characters, got " + actor.length());
        }
        if (actor != null) {
            PgValues.text("actor", actor);
        }
        if (from != null) {
            PgValues.instant("from", from);
        }
        if (to != null) {
            PgValues.instant("to", to);
        }
        if (action != null && !action.matches("[a-z_]{1,50}")) {
            throw new IllegalArgumentException("action: an audit action such as retry or bulk_cancel"
                    + " (lower-case letters and underscores), got '" + Excerpt.of(action) + "'");
        }
        if (from != null && to != null && !from.isBefore(to)) {
            throw new IllegalArgumentException("from: must be before to");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
