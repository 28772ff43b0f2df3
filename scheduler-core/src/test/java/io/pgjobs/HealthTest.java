package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Health.Check;
import io.pgjobs.Health.Status;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

class HealthTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("health.work")
    record Work(boolean fail) {}

    @JobKind("health.unhandled")
    record Unhandled(int n) {}

    private Scheduler scheduler;

    private Scheduler start(Duration lagThreshold) {
        scheduler = schedulers.start(Scheduler.builder(db.dataSource()).queue("default", 2).pollInterval(Duration.ofMillis(50))
                .queueLagThreshold(lagThreshold)
                .handler(Work.class, ctx -> {
                    if (ctx.args().fail()) {
                        throw new NonRetryableException("broken for good");
                    }
                    return null;
                }));
        return scheduler;
    }

    private static Check check(Health health, String name) {
        return health.checks().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + health));
    }

    @Test
    void aStartedSchedulerWithNothingWrongIsUp() throws Exception {
        start(Duration.ofMinutes(5));
        // the leader check reads the row the elected node marks right after it takes the lock
        Await.until(Duration.ofSeconds(20), "this node leads and shows it", () -> scheduler.isLeader()
                && check(scheduler.health(), "leader").status() == Status.UP);
        Health health = scheduler.health();

        assertThat(health.status()).isEqualTo(Status.UP);
        assertThat(health.checks()).extracting(Check::name)
                .containsExactly("node", "database", "leader", "unhandled_kinds", "queue:default",
                        "dead_letters");
        assertThat(check(health, "node").status()).isEqualTo(Status.UP);
        assertThat(check(health, "database").status()).isEqualTo(Status.UP);
        assertThat(check(health, "unhandled_kinds").status()).isEqualTo(Status.UP);
        assertThat(check(health, "leader").status()).isEqualTo(Status.UP);
        assertThat(check(health, "queue:default").status()).isEqualTo(Status.UP);
        assertThat(health.livenessStatusCode()).isEqualTo(200);
        assertThat(health.readinessStatusCode()).isEqualTo(200);
    }

    @Test
    void aQueueWhoseOldestDueJobIsOlderThanTheThresholdIsDegraded() throws Exception {
        start(Duration.ofMinutes(1));
        scheduler.client().enqueue(new Unhandled(1));
        db.execute("update pgjobs.jobs set run_at = now() - interval '10 minutes'");

        Health health = scheduler.health();
        assertThat(check(health, "queue:default").status()).isEqualTo(Status.DEGRADED);
        assertThat(check(health, "queue:default").detail()).startsWith("lag 600 s, 1 due jobs");
        assertThat(health.status()).isEqualTo(Status.DEGRADED);
        assertThat(health.livenessStatusCode()).isEqualTo(200);
        assertThat(health.readinessStatusCode()).isEqualTo(200);
    }

    @Test
    void reportsJobsDiscardedInTheLastFiveMinutesToEveryCaller() throws Exception {
        start(Duration.ofMinutes(5));
        assertThat(check(scheduler.health(), "dead_letters").detail()).isEqualTo("no job discarded in the last 5 minutes");
        long id = scheduler.client().enqueue(new Work(true)).id();
        Await.until(Duration.ofSeconds(20), "the job discarded",
                () -> scheduler.client().get(id).orElseThrow().state() == JobState.DISCARDED);

        // a check only reads: a second caller (a probe, the dashboard) still sees what the first one saw
        for (int caller = 0; caller < 2; caller++) {
            Health afterDiscard = scheduler.health();
            assertThat(check(afterDiscard, "dead_letters").status()).isEqualTo(Status.DEGRADED);
            assertThat(check(afterDiscard, "dead_letters").detail()).isEqualTo("1 jobs discarded in the last 5 minutes");
            assertThat(afterDiscard.status()).isEqualTo(Status.DEGRADED);
        }
        db.execute("update pgjobs.jobs set finished_at = now() - interval '6 minutes'");
        assertThat(check(scheduler.health(), "dead_letters").status()).isEqualTo(Status.UP);
    }

    @Test
    void aSchedulerThatOnlyEnqueuesHasNoNodeToCheckAndAClosedOneIsDown() {
        scheduler = schedulers.build(Scheduler.builder(db.dataSource()));
        Health enqueueOnly = scheduler.health();
        assertThat(check(enqueueOnly, "node").status()).isEqualTo(Status.UNKNOWN);
        // nothing leads this database (no node runs), so the leader check is DEGRADED: not a reason to restart
        // or to stop sending traffic
        assertThat(enqueueOnly.livenessStatusCode()).isEqualTo(200);
        assertThat(enqueueOnly.readinessStatusCode()).isEqualTo(200);

        scheduler.close();
        Health closed = scheduler.health();
        assertThat(check(closed, "node").status()).isEqualTo(Status.DOWN);
        assertThat(closed.livenessStatusCode()).isEqualTo(503);
        assertThat(closed.readinessStatusCode()).isEqualTo(503);
    }

    @Test
    void anUnreachableDatabaseIsDownForReadinessButNotForLiveness() {
        PGSimpleDataSource nowhere = new PGSimpleDataSource();
        nowhere.setServerNames(new String[] {"127.0.0.1"});
        nowhere.setPortNumbers(new int[] {1});
        nowhere.setConnectTimeout(2);
        scheduler = schedulers.build(Scheduler.builder(nowhere));

        Health health = scheduler.health();
        assertThat(check(health, "database").status()).isEqualTo(Status.DOWN);
        assertThat(health.status()).isEqualTo(Status.DOWN);
        assertThat(health.readinessStatusCode()).isEqualTo(503);
        assertThat(health.livenessStatusCode()).isEqualTo(200);
    }

    @Test
    void theLeaderCheckIsUpWhileTheClustersLeaderIsLiveAndDegradedWithoutOne() throws Exception {
        db.execute("delete from pgjobs.nodes");
        start(Duration.ofMinutes(5));
        Await.until(Duration.ofSeconds(20), "this node leads", scheduler::isLeader);
        Await.until(Duration.ofSeconds(20), "the leader check up", () -> check(scheduler.health(), "leader")
                .status() == Status.UP);
        assertThat(check(scheduler.health(), "leader").detail()).isEqualTo("one live leader");

        // A leader whose heartbeat stopped long ago (crashed or frozen) still has leader_since; it is not live.
        db.execute("insert into pgjobs.nodes (id, host, pid, version, heartbeat_at, leader_since)"
                + " values ('frozen', 'h', 1, 'v', now() - interval '1 hour', now() - interval '2 hours')");
        Scheduler observer = schedulers.build(Scheduler.builder(db.dataSource()));
        scheduler.close(); // gives up the lock and clears its leader_since
        assertThat(check(observer.health(), "leader")).satisfies(c -> {
            assertThat(c.status()).isEqualTo(Status.DEGRADED);
            assertThat(c.detail()).isEqualTo("0 live leaders (expected one)");
        });
    }

    @Test
    void rendersItselfAsJson() {
        Health health = Health.of(List.of(new Check("node", Status.UP, "fine"),
                new Check("queue:a\"b", Status.DEGRADED, "line\nbreak \\ tab\t")));
        assertThat(health.toJson()).isEqualTo("{\"status\":\"DEGRADED\",\"checks\":["
                + "{\"name\":\"node\",\"status\":\"UP\",\"detail\":\"fine\"},"
                + "{\"name\":\"queue:a\\\"b\",\"status\":\"DEGRADED\",\"detail\":\"line\\nbreak \\\\ tab\\t\"}]}");
    }

    @Test
    void rejectsABadLagThresholdWhenSet() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> Scheduler.builder(db.dataSource()).queueLagThreshold(Duration.ZERO))
                .withMessageContaining("queueLagThreshold");
    }
}
