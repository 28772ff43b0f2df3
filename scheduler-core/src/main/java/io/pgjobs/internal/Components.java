package io.pgjobs.internal;

import io.pgjobs.internal.admin.DefaultAdminClient;
import io.pgjobs.internal.admin.WorkflowAdmin;
import io.pgjobs.internal.client.DefaultJobClient;
import io.pgjobs.internal.config.Config;
import io.pgjobs.internal.config.Pool;
import io.pgjobs.internal.observe.HealthChecker;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.runtime.Node;
import io.pgjobs.internal.store.Stores;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The composition root: builds every part of one scheduler once, from its sealed {@link Config}, and hands each
 * its collaborators. The stores come first (every store once), then telemetry, the clients, the node that runs
 * jobs, and the health checker. Nothing else constructs a store or a component.
 */
public record Components(Stores stores, Telemetry telemetry, DefaultJobClient client, DefaultAdminClient admin,
                         Node node, HealthChecker health) {

    public static Components of(Config config) {
        Stores stores = Stores.of(config.dataSource(), config.schema(), config.notifyChannel(),
                config.resultChannel(), config.nodeDeadAfter(), config.leaseDuration());
        Telemetry telemetry = new Telemetry(config.observe(), config.nodeId(), stores.observations());
        DefaultJobClient client = new DefaultJobClient(config, stores.jobWriter(), stores.jobs(), stores.schedules(),
                stores.workflows(), stores.batches(), stores.results(), telemetry);
        DefaultAdminClient admin = new DefaultAdminClient(stores.admin(), stores.circuits(), stores.workflows(),
                stores.flowAdmin(), client,
                new WorkflowAdmin(stores.workflowViews(), stores.workflows(), stores.admin(), client),
                config.maxArgsBytes(), config.circuitBreakers().entrySet().stream()
                        .filter(breaker -> breaker.getValue().partitionKey() != null).map(Map.Entry::getKey)
                        .collect(Collectors.toUnmodifiableSet()));
        Pool pool = new Pool(config.dataSource());
        Node node = new Node(config, stores, telemetry, pool);
        HealthChecker health = new HealthChecker(stores.observations(), stores.circuits(), node.heartbeat(), pool,
                Node.connectionsNeeded(config), List.copyOf(config.queues().keySet()),
                config.observe().queueLagThreshold(), config.nodeDeadAfter(),
                List.copyOf(config.circuitBreakers().keySet()));
        return new Components(stores, telemetry, client, admin, node, health);
    }
}
