package io.pgjobs.internal.store;

import java.time.Duration;
import javax.sql.DataSource;

/**
 * Every store of one scheduler, each built once over the application's {@link DataSource} and pgjobs' schema.
 * All SQL of pgjobs is in these classes (and the migrations); see docs/architecture.md for which SQL style each
 * uses.
 */
public record Stores(JobWriter jobWriter, ExecutionStore executions, JobStore jobs, ScheduleStore schedules,
                     AdminStore admin, ObservationStore observations, NodeStore nodes, MaintenanceStore maintenance,
                     NotificationStore notifications, FlowStore flow, CircuitStore circuits) {

    /**
     * The stores of the schema {@code schema}, whose notification channel is {@code notifyChannel};
     * {@code nodeDeadAfter}: how long a node may miss heartbeats before it counts as dead.
     */
    public static Stores of(DataSource dataSource, String schema, String notifyChannel, Duration nodeDeadAfter) {
        return new Stores(new JobWriter(dataSource, schema, notifyChannel), new ExecutionStore(dataSource, schema),
                new JobStore(dataSource, schema, notifyChannel), new ScheduleStore(dataSource, schema, notifyChannel),
                new AdminStore(dataSource, schema, notifyChannel, nodeDeadAfter),
                new ObservationStore(dataSource, schema), new NodeStore(dataSource, schema),
                new MaintenanceStore(dataSource, schema, notifyChannel),
                new NotificationStore(dataSource, notifyChannel), new FlowStore(dataSource, schema, notifyChannel),
                new CircuitStore(dataSource, schema));
    }
}
