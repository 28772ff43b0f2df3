package io.pgjobs.internal.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.SchedulerEvent;
import io.pgjobs.internal.config.ObserveConfig;
import io.pgjobs.internal.store.ObservationStore;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The entry points the cluster and cron code report through. */
class TelemetryTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<SchedulerEvent> events = new CopyOnWriteArrayList<>();

    private Telemetry telemetry() {
        ObserveConfig.Builder config = new ObserveConfig.Builder();
        config.meterRegistry(registry);
        config.listener(events::add);
        return new Telemetry(config.build(), "node-a",
                new ObservationStore(db.dataSource(), PgDatabase.SCHEMA));
    }

    @Test
    void nodeLeaderAndScheduleEventsReachTheListenersAndMoveTheLeaderGauge() throws Exception {
        Telemetry telemetry = telemetry();
        List<SchedulerEvent> published = List.of(
                new SchedulerEvent.NodeJoined("node-b"),
                new SchedulerEvent.LeaderChanged(null, "node-a"),
                new SchedulerEvent.ScheduleFired("nightly", Instant.parse("2026-11-23T02:30:00Z"), 42),
                new SchedulerEvent.ScheduleMisfired("hourly", Instant.parse("2026-11-23T01:00:00Z"), true),
                new SchedulerEvent.NodeLost("node-b"));
        published.forEach(telemetry::publish);

        Await.until(Duration.ofSeconds(10), "all events delivered", () -> events.size() == published.size());
        assertThat(events).containsExactlyElementsOf(published);
        assertThat(registry.find("pgjobs.leader").gauge().value()).isEqualTo(1);

        telemetry.publish(new SchedulerEvent.LeaderChanged("node-a", "node-b"));
        assertThat(registry.find("pgjobs.leader").gauge().value()).isZero();
        telemetry.close();
    }

    @Test
    void countsRescuedJobsByQueueAndKind() {
        Telemetry telemetry = telemetry();
        telemetry.rescued("default", "email.send", 3);
        telemetry.rescued("default", "email.send", 2);
        assertThat(registry.counter("pgjobs.jobs.rescued", "queue", "default", "kind", "email.send").count()).isEqualTo(5);
        telemetry.close();
    }
}
