package io.pgjobs.admin;

import io.pgjobs.internal.values.PgValues;
import java.time.Instant;

/** The checks {@link WorkflowFilter} and {@link BatchFilter} share. */
final class GroupFilters {
    private GroupFilters() {}

    static String namePrefix(String prefix) {
        if (prefix == null || prefix.isBlank()) {
            return null;
        }
        if (prefix.length() > 200) {
            throw new IllegalArgumentException("name: at most 200 characters (a name's length), got "
                    + prefix.length());
        }
        return PgValues.text("name", prefix.strip());
    }

    static void range(Instant from, Instant to) {
        if (from != null) {
            PgValues.instant("createdFrom", from);
        }
        if (to != null) {
            PgValues.instant("createdTo", to);
        }
        if (from != null && to != null && !from.isBefore(to)) {
            throw new IllegalArgumentException("createdFrom: must be before createdTo");
        }
    }
}
