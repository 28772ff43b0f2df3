package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The cluster's and the firer's events and metrics, produced by the real cluster and cron code. */
class ClusterAndCronEventsTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<SchedulerEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.nodes, pgjobs.schedules, pgjobs.schedule_runs");
    }

    private Scheduler.Builder node(String id) {
        return Scheduler.builder(db.dataSource()).nodeId(id).listener(events::add).meterRegistry(registry)
                .nodeDeadAfter(Duration.ofMillis(1_200)).leaseDuration(Duration.ofSeconds(1));
    }

    private double leaderGauge() {
        return registry.find("pgjobs.leader").gauge().value();
    }

    @Test
    void aNodeThatJoinsAndBecomesLeaderSaysSoAndMovesTheLeaderGauge() throws Exception {
        // a leader that crashed keeps its mark in nodes: the new leader names it as the one it took over from
        db.execute("insert into pgjobs.nodes (id, host, pid, version, heartbeat_at, leader_since)"
                + " values ('crashed', 'h', 1, 'v', now() - interval '1 minute', now() - interval '1 hour')");
        Scheduler scheduler = schedulers.start(node("wired-a"));

        Await.until(Duration.ofSeconds(20), "joined and elected", () -> events.contains(
                new SchedulerEvent.NodeJoined("wired-a")) && events.contains(
                new SchedulerEvent.LeaderChanged("crashed", "wired-a")));
        assertThat(scheduler.isLeader()).isTrue();
        assertThat(leaderGauge()).isEqualTo(1);

        scheduler.close();
        assertThat(leaderGauge()).isZero();
        Await.until(Duration.ofSeconds(20), "stepping down reported",
                () -> events.contains(new SchedulerEvent.LeaderChanged("wired-a", null)));
        assertThat(events).filteredOn(e -> e instanceof SchedulerEvent.NodeJoined).hasSize(1);
    }

    @Test
    void theLeaderReportsANodeThatNeverStoppedAsLostWhenItRemovesItsRow() throws Exception {
        db.execute("insert into pgjobs.nodes (id, host, pid, version, heartbeat_at, stopped_at) values"
                + " ('vanished', 'h', 1, 'v', now() - interval '2 hours', null),"
                + " ('closed', 'h', 2, 'v', now() - interval '2 hours', now() - interval '2 hours')");
        Scheduler scheduler = schedulers.start(node("wired-b"));

        Await.until(Duration.ofSeconds(20), "the crashed node reported lost",
                () -> events.contains(new SchedulerEvent.NodeLost("vanished")));
        assertThat(db.queryLong("select count(*) from pgjobs.nodes where id in ('vanished', 'closed')")).isZero();
        // the chores stop before leadership is given up, so every NodeLost precedes the step-down's event
        scheduler.close();
        Await.until(Duration.ofSeconds(20), "stepping down reported",
                () -> events.contains(new SchedulerEvent.LeaderChanged("wired-b", null)));
        assertThat(events).filteredOn(e -> e instanceof SchedulerEvent.NodeLost)
                .containsExactly(new SchedulerEvent.NodeLost("vanished"));
    }

    @Test
    void theRescuerCountsTheJobsItTakesBackFromALostNode() throws Exception {
        // as a node that crashed mid-job leaves it: running under that node, its lease expired
        db.execute("""
                insert into pgjobs.jobs (kind, queue, state, attempt, node_id, started_at, lease_expires_at)
                values ('report.build', 'reports', 'running', 1, 'crashed', now() - interval '1 minute',
                        now() - interval '5 seconds'),
                       ('report.build', 'reports', 'running', 1, 'crashed', now() - interval '1 minute',
                        now() - interval '5 seconds')
                """);
        schedulers.start(node("wired-c"));

        Await.until(Duration.ofSeconds(20), "both jobs rescued", () -> db.queryLong(
                "select count(*) from pgjobs.jobs where state = 'retryable'") == 2);
        // counted right after the rescue commits; all counters of a queue and kind register together, at zero
        Await.until(Duration.ofSeconds(20), "both rescues counted", () -> rescuedCount() == 2);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where outcome = 'lost'")).isEqualTo(2);
    }

    private double rescuedCount() {
        var counter = registry.find("pgjobs.jobs.rescued").tags("queue", "reports", "kind", "report.build").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void theFirerReportsEachFireWithItsJobAndAMisfireWithWhatItDid() throws Exception {
        Scheduler scheduler = schedulers.build(node("wired-d"));
        scheduler.client().schedules().upsert(Schedule.of("tick", "every 1s", "test.tick", Map.of()));
        // missed ten minutes ago (FIRE_ONCE, the default): one job for that time, then every second
        db.execute("update pgjobs.schedules set next_fire_at = date_trunc('second', now()) - interval '10 minutes'");
        Instant missed = Instant.ofEpochSecond(db.queryLong(
                "select extract(epoch from next_fire_at)::bigint from pgjobs.schedules where name = 'tick'"));
        scheduler.start();

        Await.until(Duration.ofSeconds(20), "a timely fire after the misfire", () -> events.stream().anyMatch(
                e -> e instanceof SchedulerEvent.ScheduleFired f && f.fireTime().isAfter(missed.plusSeconds(60))));
        List<SchedulerEvent> cron = events.stream().filter(e -> e instanceof SchedulerEvent.ScheduleFired
                || e instanceof SchedulerEvent.ScheduleMisfired).toList();
        assertThat(cron.get(0)).isEqualTo(new SchedulerEvent.ScheduleMisfired("tick", missed, true));
        assertThat(cron.get(1)).isInstanceOfSatisfying(SchedulerEvent.ScheduleFired.class,
                f -> assertThat(f.fireTime()).isEqualTo(missed));
        for (SchedulerEvent event : cron.subList(1, cron.size())) {
            SchedulerEvent.ScheduleFired fired = (SchedulerEvent.ScheduleFired) event;
            assertThat(fired.schedule()).isEqualTo("tick");
            assertThat(db.queryLong("select count(*) from pgjobs.jobs where id = " + fired.jobId()
                    + " and metadata->>'pgjobs.schedule' = 'tick' and metadata->>'pgjobs.fire_time' = '"
                    + fired.fireTime() + "'")).isOne();
            // a fired job counts as enqueued like any other
            assertThat(events).anySatisfy(e -> assertThat(e).isEqualTo(
                    new SchedulerEvent.JobEnqueued(fired.jobId(), "test.tick", "default")));
        }
    }
}
