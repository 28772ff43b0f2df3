package io.pgjobs.internal.store;

import java.time.Instant;
import java.util.List;

/**
 * A cron schedule as stored: its definition, the job it enqueues (validated and serialized, ready to insert),
 * and its state. The policies are the lower-case names of the public enums.
 */
public record StoredSchedule(String name, String expression, String timeZone, String kind, String argsJson,
                             String queue, int priority, int maxAttempts, List<String> tags, String metadataJson,
                             boolean enabled, String misfirePolicy, int misfireLimit, String overlapPolicy,
                             Instant nextFireAt, Instant lastFireAt) {}
