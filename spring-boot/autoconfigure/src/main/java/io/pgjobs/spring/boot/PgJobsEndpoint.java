package io.pgjobs.spring.boot;

import io.pgjobs.Health;
import io.pgjobs.ScheduleInfo;
import io.pgjobs.Scheduler;
import io.pgjobs.admin.QueueInfo;
import java.util.List;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The Actuator endpoint {@code pgjobs} ({@code /actuator/pgjobs} once exposed): the queues with their waiting and
 * running jobs and lag, the schedules with their next run, and this node's health, read from the database.
 */
@Endpoint(id = "pgjobs")
public class PgJobsEndpoint {
    private final Scheduler scheduler;

    /**
     * The endpoint of one scheduler.
     *
     * @param scheduler the scheduler
     */
    public PgJobsEndpoint(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /**
     * What the endpoint answers.
     *
     * @param nodeId this node's id
     * @param queues the queues
     * @param schedules the schedules
     * @param health this node's health
     */
    public record Description(String nodeId, List<QueueInfo> queues, List<ScheduleInfo> schedules, Health health) {}

    /** {@return the queues, the schedules and this node's health, read now} */
    @ReadOperation
    public Description describe() {
        return new Description(scheduler.nodeId(), scheduler.admin().queues(), scheduler.admin().schedules(),
                scheduler.health());
    }
}
