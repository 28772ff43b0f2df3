package io.pgjobs.internal.cron;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgjobs.internal.store.NewJob;
import io.pgjobs.internal.store.StoredSchedule;
import io.pgjobs.internal.values.PlainJson;
import java.time.Duration;
import java.time.Instant;

/**
 * The job a schedule enqueues for one fire time. Its metadata says where it came from
 * ({@value #SCHEDULE_KEY}, {@value #FIRE_TIME_KEY}); a timetabled fire also gets the idempotency key
 * {@code cron:<schedule>:<fire time, ISO-8601 UTC>}, so the same fire time can never enqueue twice.
 */
final class FiredJobs {
    static final String SCHEDULE_KEY = "pgjobs.schedule";
    static final String FIRE_TIME_KEY = "pgjobs.fire_time";
    static final String TRIGGER_KEY = "pgjobs.trigger";

    static String idempotencyKey(String schedule, Instant fireTime) {
        return "cron:" + schedule + ":" + fireTime;
    }

    /**
     * The job for a timetabled fire time; it may run from that time on, so older fires sort first. Jobs are due on
     * the database's clock, which the schedules' is {@code clockAhead} ahead of (zero but in a test that moved it).
     */
    static NewJob timetabled(StoredSchedule schedule, Instant fireTime, Duration clockAhead) {
        return job(schedule, fireTime, fireTime.minus(clockAhead), idempotencyKey(schedule.name(), fireTime), false);
    }

    /** The job of {@code triggerNow} at {@code now}: due now, no idempotency key, marked as a manual trigger. */
    static NewJob triggered(StoredSchedule schedule, Instant now) {
        return job(schedule, now, null, null, true);
    }

    /** {@code runAt} null: due at the database's now. */
    private static NewJob job(StoredSchedule schedule, Instant fireTime, Instant runAt, String key, boolean manual) {
        return new NewJob(schedule.kind(), schedule.queue(), schedule.priority(), runAt, 0,
                schedule.maxAttempts(), schedule.argsJson(), key, schedule.tags(), metadata(schedule, fireTime, manual));
    }

    private static String metadata(StoredSchedule schedule, Instant fireTime, boolean manual) {
        try {
            ObjectNode metadata = (ObjectNode) PlainJson.MAPPER.readTree(schedule.metadataJson());
            metadata.put(SCHEDULE_KEY, schedule.name());
            metadata.put(FIRE_TIME_KEY, fireTime.toString());
            if (manual) {
                metadata.put(TRIGGER_KEY, "manual");
            }
            return PlainJson.MAPPER.writeValueAsString(metadata);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("schedule '" + schedule.name() + "' has unreadable metadata: "
                    + e.getMessage(), e);
        }
    }

    private FiredJobs() {}
}
