package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.admin.QueueFlowState;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A queue limited only as a whole, run under the nodes' leased shares of its limit (docs/flow-control.md, "Shares
 * of a queue limit"), with nodes in one JVM; the handlers count themselves.
 */
class SharedLimitTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.shared")
    record Shared(int n) {}

    /** What the handlers saw: how many ran at once at most, how many ran, and on which node. */
    static final class RunLog {
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();
        final Map<String, AtomicInteger> runsByNode = new ConcurrentHashMap<>();
        final CountDownLatch gate;
        final long workMillis;

        /** Handlers wait for the gate unless {@code open}, then work {@code workMillis}, so that jobs overlap. */
        RunLog(boolean open, long workMillis) {
            this.gate = new CountDownLatch(open ? 0 : 1);
            this.workMillis = workMillis;
        }

        Object run(String node) throws InterruptedException {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                if (!gate.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the gate was never opened");
                }
                Thread.sleep(workMillis);
                return null;
            } finally {
                running.decrementAndGet();
                runsByNode.computeIfAbsent(node, n -> new AtomicInteger()).incrementAndGet();
            }
        }

        int runs(String node) {
            AtomicInteger runs = runsByNode.get(node);
            return runs == null ? 0 : runs.get();
        }
    }

    private Scheduler.Builder node(String id, int concurrency, int limit, RunLog log) {
        return Scheduler.builder(db.dataSource()).nodeId(id).migrateOnStart(false)
                .queue("shared", concurrency).queueLimit("shared", limit)
                .handler(Shared.class, ctx -> log.run(id));
    }

    private static void enqueue(Scheduler scheduler, int count) {
        List<JobRequest> jobs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            jobs.add(JobRequest.of(new Shared(i)).queue("shared"));
        }
        scheduler.client().enqueueAll(jobs);
    }

    private static long completed() throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'");
    }

    @Test
    void oneNodeRunsTheLimitAtOnceNeverMoreAndClaimsAheadOfIt() throws Exception {
        RunLog log = new RunLog(true, 2);
        Scheduler node = schedulers.start(node("a", 10, 4, log));
        enqueue(node, 400);

        Await.until(Duration.ofSeconds(120), "400 jobs completed", () -> completed() == 400);
        assertThat(log.maxRunning.get()).as("most handlers running at once").isEqualTo(4);
        // the claims are those of an unlimited queue, ahead of the share: the flow claim took at most the 4 free
        long biggestClaim = db.queryLong("select max(n) from (select count(*) n from pgjobs.jobs where queue = 'shared' "
                + "group by started_at) c");
        assertThat(biggestClaim).as("the most jobs one claim took").isGreaterThan(4);
    }

    @Test
    void aSecondNodeGetsItsFairPartFromAFirstThatHeldTheWholeLimit() throws Exception {
        // long enough a backlog that the shares settle while it lasts
        RunLog log = new RunLog(false, 20);
        Scheduler a = schedulers.start(node("a", 4, 4, log));
        enqueue(a, 600);
        Await.until(Duration.ofSeconds(60), "a runs 4 jobs", () -> log.running.get() == 4);
        assertThat(db.queryLong("select slots from pgjobs.limit_shares where node_id = 'a'")).isEqualTo(4);

        schedulers.start(node("b", 4, 4, log));
        Await.until(Duration.ofSeconds(60), "b asked for slots",
                () -> db.queryLong("select count(*) from pgjobs.limit_shares where node_id = 'b' and wanted = 4") == 1);
        assertThat(db.queryLong("select slots from pgjobs.limit_shares where node_id = 'b'"))
                .as("b's share while a's four jobs execute").isZero();
        assertThat(log.runs("b")).isZero();

        log.gate.countDown();
        Await.until(Duration.ofSeconds(60), "b holds its fair part",
                () -> db.queryLong("select count(*) from pgjobs.limit_shares where node_id = 'b' and slots = 2") == 1);
        // the operator API shows the shares (b's while the backlog lasts: a gives back as its jobs end)
        QueueFlowState shared = a.admin().flowControl().stream().filter(q -> q.queue().equals("shared"))
                .findFirst().orElseThrow();
        assertThat(shared.shares()).extracting(QueueFlowState.LimitShare::nodeId).containsExactly("a", "b");
        assertThat(shared.shares()).allSatisfy(share -> assertThat(share.expiresAt()).isAfter(shared.at()));
        assertThat(shared.shares().stream().mapToInt(QueueFlowState.LimitShare::slots).sum())
                .as("slots the shares hold").isBetween(2, 4);
        Await.until(Duration.ofSeconds(120), "600 jobs completed", () -> completed() == 600);
        assertThat(log.runs("b")).as("jobs b ran").isPositive();
        assertThat(log.maxRunning.get()).as("most handlers running at once on both nodes").isEqualTo(4);
    }

    /** A claim that finds fewer jobs than it could take, none of which the share lets start yet. */
    @Test
    void anIdleNodeThatGaveItsShareBackAsksAgainForTheFewJobsItFinds() throws Exception {
        RunLog log = new RunLog(true, 2);
        Scheduler a = schedulers.start(node("a", 10, 4, log));
        enqueue(a, 3);
        Await.until(Duration.ofSeconds(60), "3 jobs completed", () -> completed() == 3);
        Await.until(Duration.ofSeconds(60), "a's share given back once idle",
                () -> db.queryLong("select count(*) from pgjobs.limit_shares where node_id = 'a'") == 0);
        enqueue(a, 3);
        Await.until(Duration.ofSeconds(60), "3 more jobs completed", () -> completed() == 6);
    }

    @Test
    void aNodeThatStopsGivesItsShareBack() throws Exception {
        RunLog log = new RunLog(false, 2);
        Scheduler a = schedulers.start(node("a", 4, 4, log));
        enqueue(a, 8);
        Await.until(Duration.ofSeconds(60), "a runs 4 jobs", () -> log.running.get() == 4);
        assertThat(db.queryLong("select slots from pgjobs.limit_shares where node_id = 'a'")).isEqualTo(4);
        log.gate.countDown();
        a.close();
        assertThat(db.queryLong("select count(*) from pgjobs.limit_shares where node_id = 'a'"))
                .as("a's share once it stopped").isZero();
    }
}
