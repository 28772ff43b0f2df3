package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.Completion;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A claim commits asynchronously (synchronous_commit off for its transaction): a database crash may lose it, which
 * must only make its job claimable again, while a completion stays durable and takes the claim before it to the
 * disk with it. The server is killed with SIGKILL right after the claim, its WAL writer slowed down so that the
 * claim's commit is still only in its memory then; after crash recovery the job runs exactly once.
 */
class ClaimCrashTest {
    @RegisterExtension
    static final PgDatabase db = PgDatabase.onOwnServer();

    private static final String NODE = "crashing-node";

    @JobKind("test.claim-crash")
    record Work(String name) {}

    @Test
    void aClaimLostInADatabaseCrashOnlyMakesItsJobClaimableAgain() throws Exception {
        long completedId;
        long lostId;
        try (Scheduler client = Scheduler.builder(db.dataSource()).build()) {
            completedId = client.client().enqueue(JobRequest.of(new Work("completed before the crash")).queue("first")).id();
            lostId = client.client().enqueue(JobRequest.of(new Work("claimed before the crash")).queue("second")).id();
        }
        ExecutionStore store = new ExecutionStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
                "pgjobs_results", Duration.ofSeconds(30));
        List<String> kinds = List.of("test.claim-crash");
        List<ClaimedJob> first = store.claim("first", kinds, List.of(), 1, NODE, 60_000, null).jobs();
        assertThat(first).extracting(ClaimedJob::id).containsExactly(completedId);
        store.complete(List.of(Completion.succeeded(first.getFirst(), null)), NODE, Duration.ofSeconds(30));

        // Nothing may write the second claim out before the crash: no autovacuum (its commits are durable, and
        // would take the claim to the disk with them), and the WAL writer, which writes asynchronous commits out
        // every wal_writer_delay, at its longest. From its low-power sleep (after a while with nothing to write) an
        // asynchronous commit wakes it to write at once; so one is made and waited for just before the claim, after
        // which it sleeps the full delay.
        db.execute("alter system set autovacuum = off");
        db.execute("alter system set wal_writer_delay = '10s'");
        db.execute("select pg_reload_conf()");
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("set synchronous_commit = off");
            statement.execute("create table wal_writer_woken (n int)");
            try (ResultSet rs = statement.executeQuery("select pg_current_wal_insert_lsn()::text")) {
                rs.next();
                String written = rs.getString(1);
                Await.until(Duration.ofSeconds(60), "the WAL writer wrote the asynchronous commit", () -> db.queryLong(
                        "select (pg_current_wal_flush_lsn() >= '" + written + "'::pg_lsn)::int") == 1);
            }
        }
        List<ClaimedJob> second = store.claim("second", kinds, List.of(), 1, NODE, 60_000, null).jobs();
        assertThat(second).extracting(ClaimedJob::id).containsExactly(lostId);
        db.crashServer();

        Await.until(Duration.ofSeconds(60), "the server takes queries after crash recovery", ClaimCrashTest::serverUp);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id = " + completedId
                + " and state = 'completed' and attempt = 1"))
                .as("the completed job: its completion was durable, and so was its claim").isOne();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id = " + lostId
                + " and state = 'available' and attempt = 0 and node_id is null"))
                .as("the job whose claim the crash lost: available again, no attempt spent").isOne();

        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        try (Scheduler node = Scheduler.builder(db.dataSource()).queue("first", 1).queue("second", 1)
                .handler(Work.class, ctx -> runs.computeIfAbsent(ctx.args().name(), n -> new AtomicInteger())
                        .incrementAndGet())
                .build()) {
            node.start();
            Await.until(Duration.ofSeconds(60), "the job whose claim was lost completed", () -> db.queryLong(
                    "select count(*) from pgjobs.jobs where state = 'completed' and id = " + lostId) == 1);
        }
        assertThat(runs).containsOnlyKeys("claimed before the crash");
        assertThat(runs.get("claimed before the crash")).hasValue(1);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + lostId)).isOne();
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + completedId)).isOne();
    }

    private static boolean serverUp() {
        try {
            return db.queryLong("select 1") == 1;
        } catch (Exception stillRecovering) {
            return false;
        }
    }
}
