package io.pgjobs.spring.boot;

import io.pgjobs.Scheduler;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/** pgjobs' health as a Spring Boot 4 health contributor ({@link ActuatorHealth}); Boot 3.5's is {@link Boot3HealthIndicator}. */
public class PgJobsHealthIndicator implements HealthIndicator {
    private final Scheduler scheduler;

    /**
     * The health of one scheduler.
     *
     * @param scheduler the scheduler
     */
    public PgJobsHealthIndicator(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public Health health() {
        ActuatorHealth health = ActuatorHealth.of(scheduler);
        return (health.down() ? Health.down() : Health.up()).withDetails(health.details()).build();
    }
}
