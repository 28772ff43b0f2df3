package io.pgjobs.internal.cron;

import io.pgjobs.Schedule.MisfirePolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What firing a due schedule does: the fire times to enqueue a job for, and the schedule's next fire time
 * (null: none left). A fire time at most {@link #MISFIRE_THRESHOLD} old is merely late and fires as usual, one
 * per round, so a short hiccup catches up time by time; an older one was missed, and the misfire policy decides.
 */
record FirePlan(List<Instant> fireTimes, Instant next, boolean misfired) {
    static final Duration MISFIRE_THRESHOLD = Duration.ofMinutes(1);

    static FirePlan of(Recurrence recurrence, Instant scheduled, Instant now, MisfirePolicy policy, int limit) {
        if (!scheduled.isBefore(now.minus(MISFIRE_THRESHOLD))) {
            return new FirePlan(List.of(scheduled), recurrence.nextAfter(scheduled).orElse(null), false);
        }
        Instant next = recurrence.nextAfter(now).orElse(null);
        return switch (policy) {
            case FIRE_ONCE -> new FirePlan(List.of(scheduled), next, true);
            case SKIP -> new FirePlan(List.of(), next, true);
            case FIRE_ALL -> {
                List<Instant> missed = new ArrayList<>();
                for (Instant t = scheduled; t != null && !t.isAfter(now) && missed.size() < limit;
                     t = recurrence.nextAfter(t).orElse(null)) {
                    missed.add(t);
                }
                yield new FirePlan(missed, next, true);
            }
        };
    }
}
