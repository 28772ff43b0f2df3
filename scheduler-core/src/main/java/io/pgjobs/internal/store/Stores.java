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
                     NotificationStore notifications, NotificationStore results, FlowStore flow,
                     CircuitStore circuits, WorkflowStore workflows, BatchStore batches,
                     FlowAdminStore flowAdmin, WorkflowViewStore workflowViews,
                     InlineClaimStore inlineClaims, BusyQueueStore busyQueues, LimitShareStore limitShares) {

    /**
     * The stores of the schema {@code schema}, whose notification channel is {@code notifyChannel} and whose
     * channel for awaited results is {@code resultChannel}; {@code nodeDeadAfter}: how long a node may miss
     * heartbeats before it counts as dead; {@code leaseDuration}: a running job's lease, the longest any of their
     * transactions may last (see Sql#inTransaction).
     */
    public static Stores of(DataSource dataSource, String schema, String notifyChannel, String resultChannel,
                            Duration nodeDeadAfter, Duration leaseDuration) {
        JobStore jobs = new JobStore(dataSource, schema, notifyChannel, resultChannel, leaseDuration);
        return new Stores(new JobWriter(dataSource, schema, notifyChannel, leaseDuration),
                new ExecutionStore(dataSource, schema, notifyChannel, resultChannel, leaseDuration), jobs,
                new ScheduleStore(dataSource, schema, notifyChannel, leaseDuration),
                new AdminStore(dataSource, schema, notifyChannel, nodeDeadAfter, leaseDuration, jobs),
                new ObservationStore(dataSource, schema), new NodeStore(dataSource, schema, leaseDuration),
                new MaintenanceStore(dataSource, schema, notifyChannel, resultChannel),
                new NotificationStore(dataSource, notifyChannel), new NotificationStore(dataSource, resultChannel),
                new FlowStore(dataSource, schema, notifyChannel), new CircuitStore(dataSource, schema, leaseDuration),
                new WorkflowStore(dataSource, schema, notifyChannel, resultChannel, leaseDuration),
                new BatchStore(dataSource, schema, notifyChannel, leaseDuration),
                new FlowAdminStore(dataSource, schema, notifyChannel, nodeDeadAfter, leaseDuration),
                new WorkflowViewStore(dataSource, schema), new InlineClaimStore(dataSource, schema),
                new BusyQueueStore(dataSource, schema), new LimitShareStore(dataSource, schema));
    }
}
