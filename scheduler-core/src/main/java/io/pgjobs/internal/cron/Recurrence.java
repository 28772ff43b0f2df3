package io.pgjobs.internal.cron;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * When a schedule fires: a cron expression read in a time zone, or a fixed interval. Parse one with
 * {@link CronSyntax#parse(String, ZoneId)}; ask it for the first fire time after an instant.
 *
 * <p>Cron expressions are matched against the zone's wall clock, and each matching wall-clock time becomes one
 * instant: a time that does not exist (the hour skipped when clocks go forward) fires at the shift, the first
 * instant after the gap; a time that exists twice (the hour repeated when clocks go back) fires at its first
 * occurrence only. Several skipped times that collapse onto the shift fire once. {@link CronFields} matches
 * wall-clock times only; the mapping to instants is done here.
 */
public interface Recurrence {

    /** The first fire time strictly after {@code after}; empty when there is none (a past year, say). */
    Optional<Instant> nextAfter(Instant after);

    /** The expression in words, for listings. */
    String description();

    /** The first {@code count} fire times strictly after {@code after}, fewer when the expression runs out. */
    default List<Instant> nextFireTimes(Instant after, int count) {
        List<Instant> times = new ArrayList<>(count);
        Instant time = after;
        for (int i = 0; i < count; i++) {
            Optional<Instant> next = nextAfter(time);
            if (next.isEmpty()) {
                break;
            }
            time = next.get();
            times.add(time);
        }
        return times;
    }

    /** A cron expression of any supported syntax, read on the wall clock of {@code zone}. */
    record CronRecurrence(CronFields fields, String description, ZoneId zone) implements Recurrence {
        /** Enough for every match inside one repeated hour of a seconds-level expression. */
        private static final int MAX_CANDIDATES = 10_000;

        @Override
        public Optional<Instant> nextAfter(Instant after) {
            ZoneRules rules = zone.getRules();
            LocalDateTime wallClock = LocalDateTime.ofInstant(after, zone);
            // Instants are non-decreasing in wall-clock order, so the first candidate past 'after' is the answer;
            // candidates at or before it are the first occurrences of a repeated hour that 'after' lies in.
            for (int i = 0; i < MAX_CANDIDATES; i++) {
                Optional<LocalDateTime> next = fields.nextAfter(wallClock);
                if (next.isEmpty()) {
                    return Optional.empty();
                }
                wallClock = next.get();
                Instant candidate = toInstant(wallClock, rules);
                if (candidate.isAfter(after)) {
                    return Optional.of(candidate);
                }
            }
            throw new IllegalStateException("no fire time of '" + description + "' in " + zone + " found after "
                    + after + " within " + MAX_CANDIDATES + " candidates");
        }

        /** A wall-clock time's instant: the shift for a skipped time, the first occurrence for a repeated one. */
        static Instant toInstant(LocalDateTime wallClock, ZoneRules rules) {
            List<ZoneOffset> offsets = rules.getValidOffsets(wallClock);
            if (offsets.isEmpty()) {
                ZoneOffsetTransition gap = rules.getTransition(wallClock);
                return gap.getInstant();
            }
            return offsets.stream().map(wallClock::toInstant).min(Comparator.naturalOrder()).orElseThrow();
        }
    }

    /**
     * A fixed interval, aligned to the Unix epoch so every node computes the same fire times: "every 5m" fires at
     * :00, :05, :10 of every hour of UTC, whatever the time zone and its shifts.
     */
    record IntervalRecurrence(Duration interval) implements Recurrence {
        @Override
        public Optional<Instant> nextAfter(Instant after) {
            long step = interval.getSeconds();
            long next = Math.floorDiv(after.getEpochSecond(), step) * step + step;
            return Optional.of(Instant.ofEpochSecond(next));
        }

        @Override
        public String description() {
            return "every " + CronSyntax.formatInterval(interval);
        }
    }
}
