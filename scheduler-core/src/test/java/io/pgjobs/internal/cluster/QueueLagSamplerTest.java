package io.pgjobs.internal.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Scheduler;
import io.pgjobs.internal.config.ObserveConfig;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.MaintenanceStore;
import io.pgjobs.internal.store.NodeStore;
import io.pgjobs.internal.store.ObservationStore;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The leader's queue lag samples (V6's queue_lag), against a real PostgreSQL. */
class QueueLagSamplerTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private final LeaderElector leader = elector("sampling-leader");
    private final MaintenanceStore store = new MaintenanceStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
                "pgjobs_results_pgjobs");

    @BeforeEach
    void seed() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.queue_lag, pgjobs.queues, pgjobs.nodes, pgjobs.job_stats");
        // 'old': due for 5 minutes (priority 7) and for 1 minute (priority 0), one running; 'later': due in an
        // hour; 'empty': known only by its settings row
        db.execute("""
                insert into pgjobs.jobs (kind, queue, state, priority, run_at, started_at, node_id, lease_expires_at) values
                    ('k', 'old', 'available', 7, now() - interval '5 minutes', null, null, null),
                    ('k', 'old', 'retryable', 0, now() - interval '1 minute', null, null, null),
                    ('k', 'old', 'running', 5, now() - interval '1 hour', now(), 'n', now() + interval '1 minute'),
                    ('k', 'old', 'completed', 5, now() - interval '2 hours', null, null, null),
                    ('k', 'later', 'scheduled', 5, now() + interval '1 hour', null, null, null);
                insert into pgjobs.queues (name) values ('empty');
                """);
    }

    @AfterEach
    void stopLeading() {
        leader.stop();
    }

    private static LeaderElector elector(String nodeId) {
        return new LeaderElector(new NodeStore(db.dataSource(), PgDatabase.SCHEMA, Duration.ofSeconds(30)), nodeId,
                Duration.ofMillis(200), Duration.ofSeconds(5), new Telemetry(new ObserveConfig.Builder().build(), nodeId,
                new ObservationStore(db.dataSource(), PgDatabase.SCHEMA)), () -> {});
    }

    /** Runs the sampler's first round (its random delay) and one more, on this thread. */
    private QueueLagSampler sampledTwice(LeaderElector by) throws Exception {
        QueueLagSampler sampler = new QueueLagSampler(store, by, Duration.ofMinutes(1), Duration.ofSeconds(10));
        sampler.runOnce();
        sampler.runOnce();
        return sampler;
    }

    private void lead() throws Exception {
        leader.start();
        Await.until(Duration.ofSeconds(10), "leading", leader::isLeader);
    }

    private static long value(String column, String queue) throws Exception {
        return db.queryLong("select max(" + column + ") from pgjobs.queue_lag where queue = '" + queue + "'");
    }

    @Test
    void theLeaderSamplesEveryQueueWithTheAgeOfItsOldestDueJobAndZeroForAnEmptyOne() throws Exception {
        lead();
        sampledTwice(leader);

        assertThat(db.queryLong("select count(distinct queue) from pgjobs.queue_lag")).isEqualTo(3);
        // the oldest due job of any priority, in milliseconds of database time
        assertThat(value("lag_ms", "old")).isBetween(300_000L, 360_000L);
        assertThat(value("waiting", "old")).isEqualTo(2);
        assertThat(value("running", "old")).isEqualTo(1);
        for (String notDue : new String[] {"later", "empty"}) {
            assertThat(value("lag_ms", notDue)).as(notDue).isZero();
            assertThat(value("running", notDue)).as(notDue).isZero();
        }
        assertThat(value("waiting", "later")).isEqualTo(1);
        assertThat(value("waiting", "empty")).isZero();
        // the minute is the database's, truncated
        assertThat(db.queryLong("select count(*) from pgjobs.queue_lag where minute <> date_trunc('minute', minute)"
                + " or minute > now() or minute < now() - interval '2 minutes'")).isZero();
    }

    @Test
    void samplesOfAMinuteThatHasARowKeepOneRowWithTheLargestValues() throws Exception {
        // rows for this minute and the next, so the sample lands on one whichever minute it is when it runs
        db.execute("""
                insert into pgjobs.queue_lag (minute, queue, lag_ms, waiting, running)
                select date_trunc('minute', now()) + m * interval '1 minute', 'old', 86400000, 0, 0
                from generate_series(0, 1) m
                """);
        lead();
        sampledTwice(leader).runOnce();

        assertThat(db.queryLong("select count(*) from pgjobs.queue_lag where queue = 'old'")).isEqualTo(2);
        assertThat(db.queryLong("select min(lag_ms) from pgjobs.queue_lag where queue = 'old'")).isEqualTo(86_400_000);
        assertThat(value("waiting", "old")).isEqualTo(2);
        assertThat(value("running", "old")).isEqualTo(1);
        assertThat(db.queryLong("select count(*) from pgjobs.queue_lag group by queue order by 1 desc limit 1"))
                .as("rows of the busiest queue").isLessThanOrEqualTo(2);
    }

    @Test
    void aFollowerDoesNotSample() throws Exception {
        LeaderElector follower = elector("following");
        try {
            lead();
            follower.start();
            sampledTwice(follower);
            assertThat(follower.isLeader()).isFalse();
            assertThat(db.queryLong("select count(*) from pgjobs.queue_lag")).isZero();
        } finally {
            follower.stop();
        }
    }

    @Test
    void aStartedNodeSamplesWhileItLeads() throws Exception {
        try (Scheduler node = Scheduler.builder(db.dataSource()).nodeId("lag-node").queue("mail", 1)
                .migrateOnStart(false).build()) {
            node.start();
            Await.until(Duration.ofSeconds(20), "queue lag sampled",
                    () -> db.queryLong("select count(*) from pgjobs.queue_lag where queue = 'mail'") == 1);
            assertThat(node.isLeader()).isTrue();
        }
        assertThat(value("lag_ms", "old")).isBetween(300_000L, 360_000L);
    }
}
