package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.Health.Check;
import io.pgjobs.admin.UnhandledKind;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Due jobs whose queue and kind no live node handles are reported: admin API, health check, metric. */
class UnhandledKindsTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.known")
    record Known(int n) {}

    @Test
    void jobsNoLiveNodeHandlesAreListedWarnedAboutAndCountedUntilANodeTakesThem() throws Exception {
        db.execute("truncate pgjobs.nodes");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Scheduler worker = schedulers.start(Scheduler.builder(db.dataSource()).nodeId("known-only")
                .queue("default", 2).handler(Known.class, ctx -> null)
                .meterRegistry(registry).queueStatsInterval(Duration.ofMillis(200)));
        worker.client().enqueue(JobRequest.of("test.orphan", Map.of("n", 1)));
        worker.client().enqueue(JobRequest.of(new Known(2)).queue("elsewhere"));
        long handled = worker.client().enqueue(new Known(3)).id();
        Await.until(Duration.ofSeconds(30), "the handled job ran",
                () -> worker.client().get(handled).orElseThrow().state() == JobState.COMPLETED);

        Await.until(Duration.ofSeconds(30), "both unhandled groups are listed", () -> worker.admin().unhandledKinds()
                .size() == 2);
        assertThat(worker.admin().unhandledKinds()).containsExactlyInAnyOrder(
                new UnhandledKind("default", "test.orphan", 1), new UnhandledKind("elsewhere", "test.known", 1));
        Check check = worker.health().checks().stream().filter(c -> c.name().equals("unhandled_kinds"))
                .findFirst().orElseThrow();
        assertThat(check.status()).isEqualTo(Health.Status.DEGRADED);
        assertThat(check.detail()).contains("2 due jobs", "test.orphan in queue default (1)",
                "test.known in queue elsewhere (1)");
        Await.until(Duration.ofSeconds(30), "the gauge counts the orphan", () -> unhandledGauge(registry) == 1.0);

        schedulers.start(Scheduler.builder(db.dataSource()).nodeId("orphan-handler").queue("default", 1)
                .queue("elsewhere", 1).handler("test.orphan", Map.class, ctx -> null)
                .handler(Known.class, ctx -> null));
        Await.until(Duration.ofSeconds(30), "a node that handles them ran them",
                () -> worker.admin().unhandledKinds().isEmpty());
        assertThat(worker.health().checks()).filteredOn(c -> c.name().equals("unhandled_kinds"))
                .extracting(Check::status).containsExactly(Health.Status.UP);
        Await.until(Duration.ofSeconds(30), "the gauge falls to zero", () -> unhandledGauge(registry) == 0.0);
    }

    private static double unhandledGauge(SimpleMeterRegistry registry) {
        Gauge gauge = registry.find("pgjobs.jobs.unhandled").tags("queue", "default", "kind", "test.orphan").gauge();
        return gauge == null ? Double.NaN : gauge.value();
    }
}
