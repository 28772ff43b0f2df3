package io.pgjobs.spring.boot;

import io.pgjobs.Scheduler;

/**
 * Adjusts the {@link Scheduler.Builder} after the {@code pgjobs.*} properties and the handler beans were applied:
 * declare beans of this type for what properties cannot say (a retry policy, a serializer, listeners, an
 * executor).
 */
@FunctionalInterface
public interface PgJobsSchedulerCustomizer {
    /**
     * Adjusts the builder.
     *
     * @param builder the builder, the properties and handler beans applied
     */
    void customize(Scheduler.Builder builder);
}
