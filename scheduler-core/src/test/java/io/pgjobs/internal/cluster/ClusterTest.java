package io.pgjobs.internal.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.JobState;
import io.pgjobs.Scheduler;
import io.pgjobs.internal.config.ObserveConfig;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.Completion;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.internal.store.MaintenanceStore;
import io.pgjobs.internal.store.NodeStore;
import io.pgjobs.internal.store.ObservationStore;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/** Nodes, leadership and the maintenance chores, in one JVM against a real PostgreSQL. */
class ClusterTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final Duration FAST_DEATH = Duration.ofMillis(1_200); // heartbeats and leader checks every 200 ms

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts, pgjobs.nodes, pgjobs.queue_lag");
    }

    private static Scheduler node(String id) {
        return Scheduler.builder(db.dataSource()).nodeId(id).nodeDeadAfter(FAST_DEATH)
                .leaseDuration(Duration.ofSeconds(1)).migrateOnStart(false).build();
    }

    @Test
    void oneLeaderAtATimeAndANewOneWhenTheLeadersSessionDiesOrItCloses() throws Exception {
        try (Scheduler a = node("a"); Scheduler b = node("b")) {
            a.start();
            b.start();
            Await.until(Duration.ofSeconds(10), "a leader", () -> a.isLeader() || b.isLeader());
            Scheduler first = a.isLeader() ? a : b;
            Scheduler second = first == a ? b : a;
            assertThat(second.isLeader()).isFalse();
            Await.until(Duration.ofSeconds(10), "the leader reported in nodes", () -> db.queryLong(
                    "select count(*) from pgjobs.nodes where leader_since is not null and id = '" + first.nodeId() + "'") == 1);
            assertThat(db.queryLong("select count(*) from pgjobs.nodes where leader_since is not null")).isOne();

            // The leader's session dies (a network cut, an operator, a failover): the lock goes with it.
            assertThat(db.queryLong("select count(pg_terminate_backend(pid)) from pg_locks where locktype = 'advisory'"
                    + " and database = (select oid from pg_database where datname = current_database())")).isOne();
            Await.until(Duration.ofSeconds(10), "the other node leads", second::isLeader);
            Await.until(Duration.ofSeconds(10), "the old leader stepped down", () -> !first.isLeader());
            Await.until(Duration.ofSeconds(10), "nodes shows the new leader only", () -> db.queryLong(
                    "select count(*) from pgjobs.nodes where leader_since is not null and id = '" + second.nodeId()
                            + "'") == 1 && db.queryLong("select count(*) from pgjobs.nodes where leader_since is not null") == 1);

            // Closing the leader releases the lock at once; the remaining node takes over.
            second.close();
            Await.until(Duration.ofSeconds(10), "the first node leads again", first::isLeader);
            assertThat(db.queryLong("select count(*) from pgjobs.nodes where id = '" + second.nodeId()
                    + "' and stopped_at is not null and leader_since is null")).isOne();
        }
        assertThat(db.queryLong("select count(*) from pg_locks where locktype = 'advisory'"
                + " and database = (select oid from pg_database where datname = current_database())")).isZero();
    }

    @Test
    void aNodeRegistersHeartbeatsInDatabaseTimeAndComesBackIfItsRowIsRemoved() throws Exception {
        Scheduler scheduler = Scheduler.builder(db.dataSource()).nodeId("beating").nodeDeadAfter(FAST_DEATH)
                .migrateOnStart(false).queue("mail", 3).handler("mail.send", Object.class, ctx -> null).build();
        scheduler.start();
        try {
            Await.until(Duration.ofSeconds(10), "registered", () -> db.queryLong("""
                    select count(*) from pgjobs.nodes where id = 'beating' and pid = %d and host <> '' and version <> ''
                      and queues = '{mail}' and kinds = '{mail.send}' and stopped_at is null
                    """.formatted(ProcessHandle.current().pid())) == 1);
            db.execute("create table first_beat as select heartbeat_at from pgjobs.nodes where id = 'beating'");
            Await.until(Duration.ofSeconds(10), "a later heartbeat", () -> db.queryLong(
                    "select count(*) from pgjobs.nodes n, first_beat f where n.heartbeat_at > f.heartbeat_at") == 1);
            db.execute("delete from pgjobs.nodes where id = 'beating'");
            Await.until(Duration.ofSeconds(10), "registered again",
                    () -> db.queryLong("select count(*) from pgjobs.nodes where id = 'beating'") == 1);
        } finally {
            scheduler.close();
        }
        assertThat(db.queryLong("select count(*) from pgjobs.nodes where id = 'beating' and stopped_at is not null")).isOne();
    }

    @Test
    void theRescuerGivesBackJobsWhoseLeaseExpiredAndALateCompletionCannotOverwriteThem() throws Exception {
        // Four jobs 'running' on a node that vanished: attempts left; none left; lease still valid; cancel requested.
        db.execute("""
                insert into pgjobs.jobs (id, kind, queue, state, attempt, max_attempts, node_id, started_at,
                                         lease_expires_at, cancel_requested_at)
                values (1, 'k', 'q', 'running', 1, 3, 'ghost', now() - interval '1 minute', now() - interval '1 second', null),
                       (2, 'k', 'q', 'running', 3, 3, 'ghost', now() - interval '1 minute', now() - interval '1 second', null),
                       (3, 'k', 'q', 'running', 1, 3, 'ghost', now() - interval '1 minute', now() + interval '1 hour', null),
                       (4, 'k', 'q', 'running', 1, 3, 'ghost', now() - interval '1 minute', now() - interval '1 second', now())
                """);
        try (Scheduler leader = node("leader")) {
            leader.start();
            Await.until(Duration.ofSeconds(10), "the expired jobs rescued",
                    () -> db.queryLong("select count(*) from pgjobs.jobs where state <> 'running'") == 3);
        }
        assertThat(state(1)).isEqualTo("retryable");
        assertThat(state(2)).isEqualTo("discarded");
        assertThat(state(3)).isEqualTo("running");
        assertThat(state(4)).isEqualTo("cancelled");
        assertThat(db.queryLong("""
                select count(*) from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id and j.attempt = a.attempt
                where a.outcome = 'lost' and a.node_id = 'ghost' and a.message = 'node ghost lost (lease expired)'
                """)).isEqualTo(3);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id in (1, 2, 4) and lease_expires_at is null"
                + " and last_error = 'node ghost lost (lease expired)'")).isEqualTo(3);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id in (2, 4) and finished_at is not null")).isEqualTo(2);

        // The ghost wakes up and reports job 1 completed: the completion guard refuses, nothing changes.
        ExecutionStore store = new ExecutionStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
                "pgjobs_results_pgjobs", Duration.ofSeconds(30));
        int applied = store.complete(List.of(new Completion(1, 1, JobState.COMPLETED, Outcome.COMPLETED, 0, 0, null,
                null, null, null, 0)), "ghost", Duration.ofSeconds(30)).size();
        assertThat(applied).isZero();
        assertThat(state(1)).isEqualTo("retryable");
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = 1")).isOne();
    }

    @Test
    void retentionDeletesOldFinishedJobsAndTheirAttemptsInBatches() throws Exception {
        db.execute("""
                insert into pgjobs.jobs (kind, state, finished_at)
                select 'k', 'completed', now() - interval '2 days' from generate_series(1, 2500)
                union all select 'k', 'completed', now() - interval '1 hour' from generate_series(1, 10)
                union all select 'k', 'discarded', now() - interval '2 days' from generate_series(1, 5)
                union all select 'k', 'cancelled', now() - interval '8 days' from generate_series(1, 5)
                union all select 'k', 'available', null from generate_series(1, 3);
                insert into pgjobs.attempts (job_id, attempt, started_at, finished_at, outcome)
                select id, 1, now(), now(), 'failed' from pgjobs.jobs
                """);
        try (Scheduler leader = node("leader")) {
            leader.start();
            Await.until(Duration.ofSeconds(30), "old jobs deleted",
                    () -> db.queryLong("select count(*) from pgjobs.jobs") == 18);
        }
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'")).isEqualTo(10);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'discarded'")).isEqualTo(5);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'available'")).isEqualTo(3);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts")).isEqualTo(18);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts a where not exists "
                + "(select 1 from pgjobs.jobs j where j.id = a.job_id)")).isZero();
    }

    @Test
    void retentionDeletesStatisticsAndQueueLagOlderThanEightDays() throws Exception {
        db.execute("""
                insert into pgjobs.job_stats (minute, queue, kind, state, jobs, duration_ms)
                select date_trunc('minute', now()) - m * interval '1 minute', 'default', 'k', 'completed', 1, 1
                from generate_series(0, 9 * 24 * 60, 30) m;
                insert into pgjobs.queue_lag (minute, queue, lag_ms, waiting, running)
                select date_trunc('minute', now()) - m * interval '1 minute', q, 1, 1, 1
                from generate_series(0, 9 * 24 * 60, 5) m, unnest(array['a', 'b']) q
                where m not between 8 * 24 * 60 - 10 and 8 * 24 * 60 + 10  -- none crosses the line while the test runs
                """);
        long recentStats = db.queryLong("select count(*) from pgjobs.job_stats where minute >= now() - interval '8 days'");
        long recentLag = db.queryLong("select count(*) from pgjobs.queue_lag where minute >= now() - interval '8 days'"
                + " and queue in ('a', 'b')");
        try (Scheduler leader = node("leader")) {
            leader.start();
            Await.until(Duration.ofSeconds(30), "statistics older than 8 days deleted", () -> db.queryLong("""
                    select (select count(*) from pgjobs.job_stats where minute < now() - interval '8 days')
                         + (select count(*) from pgjobs.queue_lag where minute < now() - interval '8 days')
                    """) == 0);
        }
        assertThat(db.queryLong("select count(*) from pgjobs.job_stats")).isEqualTo(recentStats);
        // the leader's own samples (of its queue) came on top
        assertThat(db.queryLong("select count(*) from pgjobs.queue_lag where queue in ('a', 'b')")).isEqualTo(recentLag);
    }

    @Test
    void nodesSilentForAnHourAreRemovedDeadOnesStayVisibleUntilThen() throws Exception {
        db.execute("""
                insert into pgjobs.nodes (id, host, pid, version, heartbeat_at) values
                    ('long-gone', 'h', 1, 'v', now() - interval '2 hours'),
                    ('recently-dead', 'h', 2, 'v', now() - interval '10 minutes')
                """);
        try (Scheduler leader = node("leader")) {
            leader.start();
            Await.until(Duration.ofSeconds(30), "the long-gone node removed",
                    () -> db.queryLong("select count(*) from pgjobs.nodes where id = 'long-gone'") == 0);
        }
        assertThat(db.queryLong("select count(*) from pgjobs.nodes where id = 'recently-dead'")).isOne();
    }

    @Test
    void theLeaderVacuumsTheJobsTableOnceEnoughDeadRowsPiledUpAndStopsTryingWhenItMayNot() throws Exception {
        LeaderElector leader = soloLeader();
        MaintenanceStore store = new MaintenanceStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
                "pgjobs_results_pgjobs");
        long vacuumsBefore = db.queryLong("select vacuum_count from pg_stat_user_tables where relid = 'pgjobs.jobs'::regclass");
        // autovacuum could clean the dead rows first, and then the chore rightly never vacuums (a CI run on
        // PostgreSQL 15 timed out so)
        db.execute("alter table pgjobs.jobs set (autovacuum_enabled = false)");
        try {
            vacuumsOnceDeadRowsPiledUpAndStopsWhenRefused(leader, store, vacuumsBefore);
        } finally {
            leader.stop(); // the lock of a leader left running would keep every later test from leading
            db.execute("alter table pgjobs.jobs reset (autovacuum_enabled)");
        }
    }

    private void vacuumsOnceDeadRowsPiledUpAndStopsWhenRefused(LeaderElector leader, MaintenanceStore store,
                                                               long vacuumsBefore) throws Exception {
        JobsVacuum vacuum = new JobsVacuum(store, leader, 3_000);
        db.execute("insert into pgjobs.jobs (kind) select 'k' from generate_series(1, 2000)");
        db.execute("update pgjobs.jobs set state = 'running', attempt = 1"); // claimed: 2,000 dead versions
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now()"); // finished: 2,000 more
        Await.until(Duration.ofSeconds(10), "the statistics count the dead rows", () -> store.jobRowCounts().dead() >= 4_000);
        leader.start();
        vacuum.start();
        try {
            Await.until(Duration.ofSeconds(20), "the jobs table vacuumed", () -> db.queryLong(
                    "select vacuum_count from pg_stat_user_tables where relid = 'pgjobs.jobs'::regclass") > vacuumsBefore);
            Await.until(Duration.ofSeconds(10), "no dead rows left", () -> store.jobRowCounts().dead() < 3_000);
            assertThat(vacuum.refused()).isFalse();
        } finally {
            vacuum.stop();
        }

        // A role that may write jobs but does not own the table: PostgreSQL skips the table with a warning.
        // roles belong to the server, not the test's database: created once, given a password each time (a server
        // other than the embedded one asks for it)
        db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'pgjobs_tenant') then "
                + "create role pgjobs_tenant; end if; end $$");
        db.execute("alter role pgjobs_tenant login password 'tenant'");
        db.execute("grant usage on schema pgjobs to pgjobs_tenant; grant select on all tables in schema pgjobs to pgjobs_tenant");
        PGSimpleDataSource tenant = new PGSimpleDataSource();
        tenant.setURL(db.jdbcUrl());
        tenant.setUser("pgjobs_tenant");
        tenant.setPassword("tenant");
        db.execute("update pgjobs.jobs set attempt = 2"); // 2,000 dead versions: more than a twentieth of the table
        Await.until(Duration.ofSeconds(10), "the statistics count them", () -> store.jobRowCounts().dead() >= 2_000);
        JobsVacuum refused = new JobsVacuum(new MaintenanceStore(tenant, PgDatabase.SCHEMA, "pgjobs_pgjobs",
                "pgjobs_results_pgjobs"), leader, 0);
        refused.start();
        try {
            Await.until(Duration.ofSeconds(20), "the refusal noticed", refused::refused);
        } finally {
            refused.stop();
        }
    }

    private static LeaderElector soloLeader() {
        return new LeaderElector(new NodeStore(db.dataSource(), PgDatabase.SCHEMA, Duration.ofSeconds(30)), "solo",
                Duration.ofMillis(200), Duration.ofSeconds(5), new Telemetry(new ObserveConfig.Builder().build(),
                "solo",
                new ObservationStore(db.dataSource(), PgDatabase.SCHEMA)), () -> {});
    }

    @Test
    void aNodeElectedAfterItsChoresStartedRunsRetentionAtOnceNotAfterItsInterval() throws Exception {
        // retention waits its interval (a minute) after a round that found nothing, as every round of a node that
        // does not lead does: a node elected later is woken instead, so old jobs do not wait out that minute
        try (Scheduler first = node("first"); Scheduler second = node("second")) {
            first.start();
            Await.until(Duration.ofSeconds(10), "the first node leads", first::isLeader);
            second.start();
            Await.until(Duration.ofSeconds(30), "the second node up for longer than its chores' first delay (1 s)",
                    () -> db.queryLong("select count(*) from pgjobs.nodes where id = 'second'"
                            + " and heartbeat_at > started_at + interval '2 seconds'") == 1);
            db.execute("insert into pgjobs.jobs (kind, state, finished_at)"
                    + " select 'k', 'completed', now() - interval '2 days' from generate_series(1, 10)");
            first.close();
            Await.until(Duration.ofSeconds(10), "the second node leads", second::isLeader);
            Await.until(Duration.ofSeconds(30), "the old jobs deleted, within half of retention's interval",
                    () -> db.queryLong("select count(*) from pgjobs.jobs") == 0);
        }
    }

    @Test
    void retentionThatFoundJobsComesBackForTheNextOnesWithoutWaitingItsInterval() throws Exception {
        // ten jobs past a retention of 3 s at once, ten more 3 s after the insert, as they keep coming due on a busy
        // cluster; the chore's interval is an hour, so only a round soon after the first one deletes the second ten
        db.execute("""
                insert into pgjobs.jobs (kind, state, finished_at)
                select 'k', 'completed', now() - interval '1 hour' from generate_series(1, 10)
                union all select 'k', 'completed', now() from generate_series(1, 10)
                """);
        LeaderElector leader = soloLeader();
        RetentionCleaner cleaner = new RetentionCleaner(new MaintenanceStore(db.dataSource(), PgDatabase.SCHEMA,
                "pgjobs_pgjobs", "pgjobs_results_pgjobs"), leader, Duration.ofHours(1), Duration.ofSeconds(10),
                Duration.ofSeconds(3), Duration.ofHours(1));
        leader.start();
        try {
            Await.until(Duration.ofSeconds(10), "leading", leader::isLeader);
            cleaner.start();
            Await.until(Duration.ofSeconds(60), "both tens deleted",
                    () -> db.queryLong("select count(*) from pgjobs.jobs") == 0);
        } finally {
            cleaner.stop();
            leader.stop();
        }
    }

    @Test
    void aChoreWhoseQueriesTimeOutHalvesItsBatchesAndCarriesOnWhenTheyFitAgain() throws Exception {
        LeaderElector leader = soloLeader();
        RetentionCleaner cleaner = new RetentionCleaner(new MaintenanceStore(db.dataSource(), PgDatabase.SCHEMA,
                "pgjobs_pgjobs", "pgjobs_results_pgjobs"), leader, Duration.ofMillis(200), Duration.ofMillis(100), Duration.ofHours(1),
                Duration.ofHours(1));
        leader.start();
        try (Connection blocker = db.connect(); Statement s = blocker.createStatement()) {
            Await.until(Duration.ofSeconds(10), "leading", leader::isLeader);
            blocker.setAutoCommit(false);
            s.execute("lock table pgjobs.jobs in access exclusive mode"); // every delete now waits, and times out
            cleaner.start();
            Await.until(Duration.ofSeconds(20), "batches down to the minimum",
                    () -> cleaner.batchSize() == MaintenanceChore.MIN_BATCH);
            blocker.rollback();
            db.execute("insert into pgjobs.jobs (kind, state, finished_at)"
                    + " select 'k', 'completed', now() - interval '2 hours' from generate_series(1, 95)");
            Await.until(Duration.ofSeconds(20), "old jobs deleted after all",
                    () -> db.queryLong("select count(*) from pgjobs.jobs") == 0);
            assertThat(cleaner.batchSize()).isGreaterThan(MaintenanceChore.MIN_BATCH);
        } finally {
            cleaner.stop();
            leader.stop();
        }
    }

    @Test
    void clusterSettingsAreValidatedWhenSetAndNameTheSetting() {
        Scheduler.Builder builder = Scheduler.builder(db.dataSource());
        assertThatThrownBy(() -> builder.nodeDeadAfter(Duration.ofMillis(999)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("nodeDeadAfter: PT0.999S is out of range");
        assertThatThrownBy(() -> builder.nodeDeadAfter(Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("nodeDeadAfter:");
        assertThatThrownBy(() -> builder.completedRetention(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("completedRetention:");
        assertThatThrownBy(() -> builder.failedRetention(Duration.ofSeconds(-5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("failedRetention:");
        assertThatThrownBy(() -> builder.failedRetention(null))
                .isInstanceOf(NullPointerException.class).hasMessage("failedRetention");
    }

    private static String state(long id) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             var rs = s.executeQuery("select state from pgjobs.jobs where id = " + id)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
