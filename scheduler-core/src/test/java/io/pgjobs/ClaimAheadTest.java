package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A queue without flow control claims up to its concurrency more jobs than it has free slots, into a buffer
 * (QueueFetcher). What it claimed and never started goes back as it was (available, its attempt given back): when
 * the node stops, and when it waited too long for a slot, which is well within its lease. A queue with flow control
 * claims only its free slots. The jobs are enqueued before the node starts, so that its first claim sees them all.
 */
class ClaimAheadTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.claim-ahead")
    record Blocking(int n) {}

    /** Handlers that wait for {@link #release}, recording each start with the attempt it ran as. */
    static final class Handlers {
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> starts = new CopyOnWriteArrayList<>();
        final Map<Integer, Integer> attemptOf = new ConcurrentHashMap<>();

        Object run(JobContext<Blocking> ctx) throws InterruptedException {
            starts.add("job " + ctx.args().n() + " attempt " + ctx.attempt());
            attemptOf.put(ctx.args().n(), ctx.attempt());
            if (!release.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released its handlers");
            }
            return null;
        }
    }

    /** Enqueues {@code jobs} jobs in one transaction; returns it (the rows' xmin), to tell rows written since. */
    private static String enqueue(String queue, int jobs) throws Exception {
        try (Scheduler client = Scheduler.builder(db.dataSource()).migrateOnStart(false).build()) {
            List<JobRequest> requests = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                requests.add(JobRequest.of(new Blocking(i)).queue(queue));
            }
            client.client().enqueueAll(requests);
        }
        try (var connection = db.connect(); var statement = connection.createStatement();
             var rs = statement.executeQuery("select distinct xmin::text from pgjobs.jobs")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Jobs claimed and put back since they were enqueued: available, no attempt counted, their rows rewritten. */
    private static long putBack(String enqueued) throws Exception {
        return count(PUT_BACK.formatted(enqueued));
    }

    private static final String PUT_BACK =
            "state = 'available' and attempt = 0 and started_at is null and xmin::text <> '%s'";

    @Test
    void whatANodeClaimedAheadGoesBackUnstartedWhenItStops() throws Exception {
        String enqueued = enqueue("default", 6);
        Handlers handlers = new Handlers();
        Scheduler node = schedulers.start(Scheduler.builder(db.dataSource()).migrateOnStart(false)
                .queue("default", 2).handler(Blocking.class, handlers::run));
        Await.until(Duration.ofSeconds(60), "two handlers started", () -> handlers.starts.size() == 2);

        ExecutorService closer = Executors.newSingleThreadExecutor();
        try {
            Future<?> closed = closer.submit(node::close);
            // The node waits for its two handlers; the two jobs it claimed ahead go back meanwhile (or went back
            // already, had they waited for a slot too long).
            Await.until(Duration.ofSeconds(60), "the jobs claimed ahead put back", () -> putBack(enqueued) == 2);
            assertThat(count("state = 'running'")).isEqualTo(2);
            handlers.release.countDown();
            closed.get(30, TimeUnit.SECONDS);
        } finally {
            closer.shutdownNow();
        }

        assertThat(handlers.starts).hasSize(2);
        assertThat(count("state = 'completed'")).isEqualTo(2);
        assertThat(putBack(enqueued)).as("claimed ahead and put back").isEqualTo(2);
        assertThat(count("state = 'available' and attempt = 0 and started_at is null")).isEqualTo(4);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts")).as("attempt rows: the two that ran")
                .isEqualTo(2);
    }

    @Test
    void aJobClaimedAheadThatWaitsTooLongForASlotGoesBackAndNeverStartsPastItsLease() throws Exception {
        String enqueued = enqueue("default", 3);
        Handlers handlers = new Handlers();
        // a buffered job waits at most a quarter of the lease (here 125 ms) for a slot
        schedulers.start(Scheduler.builder(db.dataSource()).migrateOnStart(false)
                .leaseDuration(Duration.ofMillis(500))
                .queue("default", 1).handler(Blocking.class, handlers::run));

        Await.until(Duration.ofSeconds(60), "the second job claimed ahead and put back while the first runs",
                () -> handlers.starts.size() == 1 && putBack(enqueued) == 1);
        assertThat(handlers.starts).as("only the first job started").hasSize(1);

        handlers.release.countDown();
        Await.until(Duration.ofSeconds(60), "every job completed", () -> count("state = 'completed'") == 3);
        assertThat(handlers.starts).as("each job started once, as its first attempt, in the queue's order (the job "
                        + "put back sorts before where the claim that took it ended)")
                .containsExactly("job 0 attempt 1", "job 1 attempt 1", "job 2 attempt 1");
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where outcome <> 'completed'"))
                .as("attempts that did not complete (a job rescued after its lease ran out would have one)")
                .isZero();
    }

    /**
     * A job put back is announced as a new one is: another node of its queue, idle with a poll interval of ten
     * minutes, runs the job a node claimed ahead and put back, while that node's one slot stays taken.
     */
    @Test
    void aJobPutBackWakesAnIdleNodeOfItsQueue() throws Exception {
        List<Integer> ranOnIdleNode = new CopyOnWriteArrayList<>();
        schedulers.start(Scheduler.builder(db.dataSource()).migrateOnStart(false).nodeId("idle-node")
                .pollInterval(Duration.ofMinutes(10)).queue("shared", 1)
                .handler(Blocking.class, ctx -> {
                    ranOnIdleNode.add(ctx.args().n());
                    return null;
                }));
        enqueue("shared", 1);
        Await.until(Duration.ofSeconds(60), "the idle node ran job 0, woken by its enqueue",
                () -> ranOnIdleNode.contains(0) && count("state = 'completed'") == 1);

        Handlers handlers = new Handlers();
        schedulers.start(Scheduler.builder(db.dataSource()).migrateOnStart(false).nodeId("full-node")
                .pollInterval(Duration.ofMillis(100)).queue("shared", 1).handler(Blocking.class, handlers::run));
        // inserted without a notification: only the other node's poll finds them, the idle node's comes in 10 min
        db.execute("insert into pgjobs.jobs (kind, queue, args) "
                + "values ('test.claim-ahead', 'shared', '{\"n\": 1}'), ('test.claim-ahead', 'shared', '{\"n\": 2}')");
        Await.until(Duration.ofSeconds(60), "one of the two started on the node of one slot, the other put back, "
                + "announced, and run by the idle node", () -> handlers.starts.size() == 1 && ranOnIdleNode.size() == 2);
        assertThat(handlers.starts).as("the full node's slot is still taken").hasSize(1);
        handlers.release.countDown();
    }

    /**
     * A queue whose jobs start fast claims further ahead than its concurrency, up to 128 jobs (QueueFetcher's
     * adjustAhead): at a small concurrency, claims of a concurrency's worth made the database's work per job
     * several times that of claims of a hundred. Each claim marks its jobs started at its own transaction's time,
     * so the jobs of one claim share their start.
     */
    @Test
    void aQueueWhoseJobsStartFastClaimsFurtherAheadThanItsConcurrency() throws Exception {
        enqueue("fast", 2_000);
        schedulers.start(Scheduler.builder(db.dataSource()).migrateOnStart(false)
                .queue("fast", 2).handler(Blocking.class, ctx -> null));
        Await.until(Duration.ofSeconds(120), "every job completed",
                () -> count("queue = 'fast' and state = 'completed'") == 2_000);

        long biggestClaim = db.queryLong("select max(n) from (select count(*) n from pgjobs.jobs where queue = 'fast' "
                + "group by started_at) c");
        assertThat(biggestClaim).as("the most jobs one claim took: more than 2 slots and a buffer of 2, at most "
                + "2 slots and a buffer of 128").isGreaterThan(4).isLessThanOrEqualTo(130);
    }

    @Test
    void aQueueWithFlowControlClaimsOnlyItsFreeSlots() throws Exception {
        String enqueued = enqueue("limited", 6);
        Handlers handlers = new Handlers();
        // cluster-wide limits above the node's concurrency: a job claimed ahead would hold a place under them (a
        // queue limited only as a whole claims ahead within its node's share of the limit: SharedLimitTest)
        schedulers.start(Scheduler.builder(db.dataSource()).migrateOnStart(false)
                .queue("limited", 2).queueLimit("limited", 10).partitionLimit("limited", PartitionKey.args("n"), 10)
                .handler(Blocking.class, handlers::run));
        Await.until(Duration.ofSeconds(60), "two handlers started", () -> handlers.starts.size() == 2);

        // in one snapshot: a job claimed ahead would be running still, or put back already
        assertThat(db.queryLong("select count(*) filter (where state = 'running') * 10 + count(*) filter (where "
                + PUT_BACK.formatted(enqueued) + ") from pgjobs.jobs"))
                .as("jobs running * 10 + jobs claimed and put back").isEqualTo(20);
        handlers.release.countDown();
        Await.until(Duration.ofSeconds(60), "every job completed", () -> count("state = 'completed'") == 6);
    }

    private static long count(String where) throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs where " + where);
    }
}
