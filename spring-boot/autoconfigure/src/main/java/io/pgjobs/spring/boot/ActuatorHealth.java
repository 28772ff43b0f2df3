package io.pgjobs.spring.boot;

import io.pgjobs.Health.Check;
import io.pgjobs.Scheduler;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * pgjobs' {@link Scheduler#health()} as Actuator shows it, on either Spring Boot line: DOWN when pgjobs says DOWN
 * (the database unreachable, this node's loops stopped), otherwise UP, DEGRADED (queues lagging, jobs discarded)
 * included, as pgjobs' own probes answer 200 for it; pgjobs' status and each check in the details.
 */
record ActuatorHealth(boolean down, Map<String, Object> details) {

    static ActuatorHealth of(Scheduler scheduler) {
        io.pgjobs.Health health = scheduler.health();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("pgjobs", health.status().name());
        for (Check check : health.checks()) {
            details.put(check.name(), check.status() + ": " + check.detail());
        }
        return new ActuatorHealth(health.status() == io.pgjobs.Health.Status.DOWN, details);
    }
}
