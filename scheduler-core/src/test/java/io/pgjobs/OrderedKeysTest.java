package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.admin.JobAction;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Ordered keys: one job of a key at a time, in enqueue order, with several nodes in one JVM. */
class OrderedKeysTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    /** Job {@code n} of key {@code key}; its first attempt fails when {@code failFirst}, every one when {@code failAlways}. */
    @JobKind("test.ordered")
    record Step(String key, int n, boolean failFirst, boolean failAlways) {}

    /** What the handlers saw: the steps each key started, in the order they started, and overlaps of a key. */
    static final class StepLog {
        final Map<String, List<Integer>> started = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
        final AtomicInteger maxRunningOfAKey = new AtomicInteger();
        volatile boolean fixed;

        Object run(JobContext<Step> ctx) throws InterruptedException {
            Step step = ctx.args();
            AtomicInteger ofKey = running.computeIfAbsent(step.key(), k -> new AtomicInteger());
            maxRunningOfAKey.accumulateAndGet(ofKey.incrementAndGet(), Math::max);
            try {
                started.computeIfAbsent(step.key(), k -> Collections.synchronizedList(new ArrayList<>()))
                        .add(step.n());
                Thread.sleep(1); // a little work, so that jobs overlap if they can
                if (step.failAlways() && !fixed) {
                    throw new NonRetryableException("step " + step.n() + " of " + step.key() + " is broken");
                }
                if (step.failFirst() && ctx.attempt() == 1) {
                    throw new IllegalStateException("step " + step.n() + " of " + step.key() + " fails once");
                }
                return null;
            } finally {
                ofKey.decrementAndGet();
            }
        }
    }

    private Scheduler.Builder node(String id, StepLog log, OrderedKeys policy) {
        return Scheduler.builder(db.dataSource()).nodeId(id).migrateOnStart(false)
                .queue("ordered", 5)
                .orderedKeys("ordered", policy)
                .retryPolicy(attempt -> Duration.ofMillis(20))
                .handler(Step.class, log::run);
    }

    private static JobRequest step(String key, int n, boolean failFirst, boolean failAlways) {
        return JobRequest.of(new Step(key, n, failFirst, failAlways)).queue("ordered").orderingKey(key);
    }

    private static long completed() throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'");
    }

    @Test
    void threeNodesRunEachKeyOneAtATimeInEnqueueOrderThroughRetries() throws Exception {
        StepLog log = new StepLog();
        List<Scheduler> nodes = new ArrayList<>();
        for (String id : List.of("a", "b", "c")) {
            nodes.add(schedulers.start(node(id, log, OrderedKeys.MOVE_ON_WHEN_DISCARDED)));
        }
        List<JobRequest> steps = new ArrayList<>();
        for (int n = 0; n < 30; n++) {
            for (String key : List.of("k1", "k2", "k3", "k4", "k5")) {
                steps.add(step(key, n, n % 7 == 3, false));
            }
        }
        nodes.getFirst().client().enqueueAll(steps);

        Await.until(Duration.ofSeconds(60), "150 steps completed", () -> completed() == 150);
        assertThat(log.maxRunningOfAKey).as("most steps of one key running at once").hasValue(1);
        for (String key : List.of("k1", "k2", "k3", "k4", "k5")) {
            List<Integer> expected = new ArrayList<>();
            for (int n = 0; n < 30; n++) {
                expected.add(n);
                if (n % 7 == 3) {
                    expected.add(n); // its retry, before any later step of the key
                }
            }
            assertThat(log.started.get(key)).as("the steps of " + key + " in the order they started")
                    .containsExactlyElementsOf(expected);
        }
    }

    @Test
    void aDiscardedJobBlocksItsKeyUntilAnOperatorRetriesItWhileOtherKeysGoOn() throws Exception {
        StepLog log = new StepLog();
        Scheduler node = schedulers.start(node("a", log, OrderedKeys.BLOCK_WHEN_DISCARDED));
        long broken = node.client().enqueue(step("acct", 1, false, true)).id();
        node.client().enqueueAll(List.of(step("acct", 2, false, false), step("acct", 3, false, false)));
        Await.until(Duration.ofSeconds(30), "step 1 discarded",
                () -> node.client().get(broken).orElseThrow().state() == JobState.DISCARDED);

        // a claim after the discard walks past steps 2 and 3 to this job: it takes only this one
        long other = node.client().enqueue(step("other", 1, false, false)).id();
        Await.until(Duration.ofSeconds(30), "the other key's job completed",
                () -> node.client().get(other).orElseThrow().state() == JobState.COMPLETED);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where ordering_key = 'acct' and state = 'available'"))
                .as("steps 2 and 3, held back").isEqualTo(2);

        log.fixed = true;
        assertThat(node.admin().act("ops", JobAction.RETRY, broken)).isTrue();
        Await.until(Duration.ofSeconds(30), "all steps completed", () -> completed() == 4);
        assertThat(log.started.get("acct")).containsExactly(1, 1, 2, 3);
    }

    @Test
    void withMoveOnADiscardedJobLetsTheNextOfItsKeyRun() throws Exception {
        StepLog log = new StepLog();
        Scheduler node = schedulers.start(node("a", log, OrderedKeys.MOVE_ON_WHEN_DISCARDED));
        node.client().enqueueAll(List.of(step("acct", 1, false, true), step("acct", 2, false, false)));

        Await.until(Duration.ofSeconds(30), "step 2 completed", () -> completed() == 1);
        assertThat(log.started.get("acct")).containsExactly(1, 2);
    }

    /** The first step's node died running it: the step is rescued, runs again, and only then the next. */
    @Test
    void aJobRescuedFromACrashedNodeStillRunsBeforeTheRestOfItsKey() throws Exception {
        StepLog log = new StepLog();
        Scheduler client = schedulers.build(Scheduler.builder(db.dataSource()).migrateOnStart(false));
        long first = client.client().enqueue(step("acct", 1, false, false)).id();
        client.client().enqueueAll(List.of(step("acct", 2, false, false), step("acct", 3, false, false)));
        db.execute("update pgjobs.jobs set state = 'running', attempt = 1, node_id = 'dead-node', "
                + "started_at = now() - interval '1 minute', lease_expires_at = now() - interval '1 second', "
                + "flow_partition = '' where id = " + first);

        schedulers.start(node("survivor", log, OrderedKeys.BLOCK_WHEN_DISCARDED).leaseDuration(Duration.ofSeconds(1)));

        Await.until(Duration.ofSeconds(60), "the three steps completed", () -> completed() == 3);
        assertThat(log.started.get("acct")).containsExactly(1, 2, 3);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + first + " and outcome = 'lost'"))
                .isEqualTo(1);
    }

    @Test
    void eachSettingIsValidatedWhereItIsSet() {
        Scheduler.Builder builder = Scheduler.builder(db.dataSource()).queue("q", 2);
        assertThatThrownBy(() -> builder.orderedKeys("other", OrderedKeys.MOVE_ON_WHEN_DISCARDED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("orderedKeys: queue 'other' is not configured");
        builder.orderedKeys("q", OrderedKeys.BLOCK_WHEN_DISCARDED);
        assertThatThrownBy(() -> builder.orderedKeys("q", OrderedKeys.MOVE_ON_WHEN_DISCARDED))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already has ordered keys");
        assertThatThrownBy(() -> step("k", 1, false, false).orderingKey(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("orderingKey: must not be blank");
        assertThatThrownBy(() -> step("k", 1, false, false).orderingKey("x".repeat(501)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("orderingKey: is 501 characters");
    }
}
