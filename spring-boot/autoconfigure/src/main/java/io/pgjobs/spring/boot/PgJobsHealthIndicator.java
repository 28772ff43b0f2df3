package io.pgjobs.spring.boot;

import io.pgjobs.Health.Check;
import io.pgjobs.Scheduler;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * pgjobs' {@link Scheduler#health()} as an Actuator health contributor (Spring Boot 4). DOWN when pgjobs says DOWN
 * (the database unreachable, this node's loops stopped); DEGRADED (queues lagging, jobs discarded) stays UP with
 * the reason in the details, as pgjobs' own probes answer 200 for it.
 */
public class PgJobsHealthIndicator implements HealthIndicator {
    private final Scheduler scheduler;

    public PgJobsHealthIndicator(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public Health health() {
        io.pgjobs.Health health = scheduler.health();
        Health.Builder builder = health.status() == io.pgjobs.Health.Status.DOWN ? Health.down() : Health.up();
        builder.withDetail("pgjobs", health.status().name());
        for (Check check : health.checks()) {
            builder.withDetail(check.name(), check.status() + ": " + check.detail());
        }
        return builder.build();
    }
}
