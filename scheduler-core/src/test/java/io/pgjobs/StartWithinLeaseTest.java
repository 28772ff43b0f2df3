package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A claimed job's handler starts only within half its lease from the moment its claim was sent. A node frozen
 * (SIGSTOP, a long GC pause, a starved CPU) between a claim and the handler's start may wake to find its lease run
 * out and the job rescued and claimed by another node; the handler must not run there a second time, and the job,
 * now another node's, must not be touched. Here the node's handlers are held back by the executor they run on until
 * a whole lease has passed since the claim (by the database's clock), for a plain queue and for one with flow
 * control (their claims are different statements).
 */
class StartWithinLeaseTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    private static final Duration LEASE = Duration.ofSeconds(2);

    @JobKind("test.start-within-lease")
    record Work(int n) {}

    /** Runs what pgjobs gives it on threads of its own, each task only once the test opens the gate. */
    static final class GatedExecutor extends AbstractExecutorService {
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger received = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        private final ExecutorService threads = Executors.newCachedThreadPool();

        @Override
        public void execute(Runnable task) {
            received.incrementAndGet();
            threads.execute(() -> {
                try {
                    if (!gate.await(120, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never opened the gate");
                    }
                    task.run();
                } catch (InterruptedException e) {
                    throw new IllegalStateException("interrupted before the gate opened", e);
                } finally {
                    done.incrementAndGet();
                }
            });
        }

        @Override public void shutdown() { threads.shutdown(); }
        @Override public List<Runnable> shutdownNow() { return threads.shutdownNow(); }
        @Override public boolean isShutdown() { return threads.isShutdown(); }
        @Override public boolean isTerminated() { return threads.isTerminated(); }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return threads.awaitTermination(timeout, unit);
        }
    }

    /** A node with one slot, whose handlers record the attempt they run as and wait for the gate. */
    private Scheduler start(boolean flowControl, GatedExecutor executor, List<Integer> starts) {
        String queue = queue(flowControl);
        Scheduler.Builder builder = Scheduler.builder(db.dataSource()).migrateOnStart(false).leaseDuration(LEASE)
                .pollInterval(Duration.ofMillis(200)).executor(executor).queue(queue, 1)
                .handler(Work.class, ctx -> {
                    starts.add(ctx.attempt());
                    return null;
                });
        return schedulers.start(flowControl ? builder.queueLimit(queue, 5) : builder);
    }

    private static String queue(boolean flowControl) {
        return flowControl ? "limited" : "default";
    }

    @ParameterizedTest(name = "flow control: {0}")
    @ValueSource(booleans = {false, true})
    void aJobRescuedAndClaimedElsewhereBeforeItsHandlerStartedNeitherStartsNorIsTouched(boolean flowControl)
            throws Exception {
        GatedExecutor executor = new GatedExecutor();
        List<Integer> starts = new CopyOnWriteArrayList<>();
        try {
            long id = enqueueHeldBack(flowControl, executor, starts);
            long claimedAt = claimedAt(id);
            // as the rescuer and another node's claim leave it: running elsewhere, as its next attempt
            db.execute("update pgjobs.jobs set node_id = 'other-node', attempt = attempt + 1, started_at = now(), "
                    + "lease_expires_at = now() + interval '1 hour' where id = " + id);
            awaitLeaseSince(claimedAt);

            executor.gate.countDown();
            Await.until(Duration.ofSeconds(60), "the held-back task ran", () -> executor.done.get() == 1);
            assertThat(starts).as("attempts whose handler started on this node").isEmpty();
            assertThat(db.queryLong("select count(*) from pgjobs.jobs where id = " + id + " and state = 'running'"
                    + " and node_id = 'other-node' and attempt = 2 and lease_expires_at > now() + interval '50 minutes'"))
                    .as("the job, now the other node's, untouched").isOne();
            assertThat(db.queryLong("select count(*) from pgjobs.attempts")).as("attempt rows").isZero();
        } finally {
            executor.shutdownNow();
        }
    }

    @ParameterizedTest(name = "flow control: {0}")
    @ValueSource(booleans = {false, true})
    void aJobWhoseHandlerCouldNotStartWithinItsLeaseGoesBackUnspentAndRunsOnce(boolean flowControl)
            throws Exception {
        GatedExecutor executor = new GatedExecutor();
        List<Integer> starts = new CopyOnWriteArrayList<>();
        try {
            long id = enqueueHeldBack(flowControl, executor, starts);
            awaitLeaseSince(claimedAt(id));

            executor.gate.countDown();
            Await.until(Duration.ofSeconds(60), "the job completed", () -> db.queryLong(
                    "select count(*) from pgjobs.jobs where state = 'completed' and id = " + id) == 1);
            assertThat(executor.received.get()).as("tasks: the late one, and the claims after it was put back")
                    .isGreaterThanOrEqualTo(2);
            assertThat(starts).as("the attempts whose handler started: the first, once").containsExactly(1);
            assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + id
                    + " and attempt = 1 and outcome = 'completed'")).isOne();
            assertThat(db.queryLong("select count(*) from pgjobs.attempts")).as("attempt rows").isOne();
        } finally {
            executor.shutdownNow();
        }
    }

    /** Starts a node, enqueues one job and waits until it is claimed and held back by {@code executor}; its id. */
    private long enqueueHeldBack(boolean flowControl, GatedExecutor executor, List<Integer> starts) throws Exception {
        Scheduler node = start(flowControl, executor, starts);
        long id = node.client().enqueue(JobRequest.of(new Work(1)).queue(queue(flowControl))).id();
        Await.until(Duration.ofSeconds(60), "the job claimed and handed to the executor",
                () -> executor.received.get() == 1);
        return id;
    }

    /** When the job's running attempt was claimed, by the database's clock, in microseconds. */
    private static long claimedAt(long id) throws Exception {
        return db.queryLong("select (extract(epoch from started_at) * 1000000)::bigint from pgjobs.jobs where id = " + id);
    }

    /** Waits until a whole lease has passed since {@code claimedAt} (microseconds), by the database's clock. */
    private static void awaitLeaseSince(long claimedAt) throws Exception {
        Await.until(Duration.ofSeconds(60), "a whole lease passed since the claim", () -> db.queryLong(
                "select (extract(epoch from clock_timestamp()) * 1000000)::bigint") - claimedAt > LEASE.toNanos() / 1_000);
    }
}
