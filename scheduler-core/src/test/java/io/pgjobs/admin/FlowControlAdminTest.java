package io.pgjobs.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.Job;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.NonRetryableException;
import io.pgjobs.OrderedKeys;
import io.pgjobs.PartitionKey;
import io.pgjobs.RateLimit;
import io.pgjobs.Scheduler;
import io.pgjobs.admin.QueueFlowState.BlockedKey;
import io.pgjobs.admin.QueueFlowState.PartitionUse;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What operators see of flow control through the admin API (docs/flow-control.md, "Where an operator looks"):
 * the settings the nodes registered (node_queues, V27) with each node's concurrency, the running jobs per
 * partition, the rate limit's state, the ordering keys held back and why, and the skip of a discarded holder.
 */
class FlowControlAdminTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    /** A job of a customer (its partition); it blocks while {@code block}, fails for good when {@code broken}. */
    @JobKind("test.flow-admin")
    record Work(String customer, boolean block, boolean broken, boolean failsOnce) {}

    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void cleanSlate() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts, pgjobs.audit_log, pgjobs.rate_limits, pgjobs.nodes cascade");
    }

    @AfterEach
    void releaseHandlers() {
        release.countDown();
    }

    private Object run(io.pgjobs.JobContext<Work> ctx) throws InterruptedException {
        Work work = ctx.args();
        if (work.broken()) {
            throw new NonRetryableException("customer " + work.customer() + "'s job is broken");
        }
        if (work.failsOnce() && ctx.attempt() == 1) {
            throw new IllegalStateException("fails once, retried in an hour");
        }
        if (work.block()) {
            release.await(60, TimeUnit.SECONDS);
        }
        return null;
    }

    private Scheduler.Builder node(String id) {
        return Scheduler.builder(db.dataSource()).nodeId(id).migrateOnStart(false)
                .pollInterval(Duration.ofMillis(200))
                .retryPolicy(attempt -> Duration.ofHours(1))
                .handler(Work.class, this::run);
    }

    private static JobRequest work(String queue, String customer, boolean block) {
        return JobRequest.of(new Work(customer, block, false, false)).queue(queue);
    }

    @Test
    void showsTheRegisteredSettingsTheRunningPartitionsAndTheRateState() throws Exception {
        Scheduler a = schedulers.start(node("a").queue("reports", 4).queueLimit("reports", 3)
                .partitionLimit("reports", PartitionKey.args("customer"), 1)
                .queue("api", 2).rateLimit("api", RateLimit.of(10, Duration.ofHours(1)))
                .queue("plain", 7));
        // b started later, with another queue limit: the settings shown are b's, and a disagrees
        Scheduler b = schedulers.start(node("b").queue("reports", 2).queueLimit("reports", 5)
                .partitionLimit("reports", PartitionKey.args("customer"), 1));

        a.client().enqueueAll(List.of(work("reports", "c1", true), work("reports", "c1", true),
                work("reports", "c2", true), work("api", "x", false), work("api", "x", false)));
        Await.until(Duration.ofSeconds(30), "one job of each customer running and one api job done", () ->
                db.queryLong("select count(*) from pgjobs.jobs where queue = 'reports' and state = 'running'") == 2
                        && db.queryLong("select count(*) from pgjobs.jobs where queue = 'api' and state = 'completed'") == 1);

        Map<String, QueueFlowState> flows = byQueue(a.admin().flowControl());
        assertThat(flows).containsOnlyKeys("reports", "api");
        QueueFlowState reports = flows.get("reports");
        assertThat(reports.settings()).isEqualTo(new FlowSettings(5, 1, PartitionKey.args("customer"), null, null));
        assertThat(reports.nodes()).containsExactly("b", "a");
        assertThat(reports.disagreeingNodes()).containsExactly("a");
        assertThat(reports.concurrency()).isEqualTo(6);
        assertThat(reports.running()).isEqualTo(2);
        assertThat(reports.busiestPartitions()).containsExactlyInAnyOrder(new PartitionUse("c1", 1), new PartitionUse("c2", 1));
        assertThat(reports.rates()).isEmpty();
        assertThat(reports.blockedKeys()).isEmpty();

        QueueFlowState api = flows.get("api");
        assertThat(api.settings().rateLimit()).isEqualTo(RateLimit.of(10, Duration.ofHours(1)));
        assertThat(api.rates()).singleElement().satisfies(rate -> {
            assertThat(rate.partition()).isEmpty();
            // one start every 6 minutes: the second job waits for the next
            assertThat(rate.delay()).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(6));
            assertThat(rate.nextStartAt()).isAfter(api.at());
        });

        // the queues page: each queue's concurrency summed over its live nodes, and its flow control
        Map<String, QueueInfo> queues = a.admin().queues().stream()
                .collect(java.util.stream.Collectors.toMap(QueueInfo::name, q -> q));
        assertThat(queues.get("reports").concurrency()).isEqualTo(6);
        assertThat(queues.get("reports").flow().queueLimit()).isEqualTo(5);
        assertThat(queues.get("plain").concurrency()).isEqualTo(7);
        assertThat(queues.get("plain").flow()).isNull();
        // the nodes page: each node's own concurrency per queue
        Map<String, NodeInfo> nodes = a.admin().nodes().stream()
                .collect(java.util.stream.Collectors.toMap(NodeInfo::id, n -> n));
        assertThat(nodes.get("a").concurrency()).isEqualTo(Map.of("reports", 4, "api", 2, "plain", 7));
        assertThat(nodes.get("b").concurrency()).isEqualTo(Map.of("reports", 2));

        // a stopped node's settings are no longer shown
        release.countDown();
        b.close();
        QueueFlowState alone = byQueue(a.admin().flowControl()).get("reports");
        assertThat(alone.settings().queueLimit()).isEqualTo(3);
        assertThat(alone.disagreeingNodes()).isEmpty();
    }

    @Test
    void theLeadersDeadNodeCleanupRemovesANodesSettingsWithItsRowAndAnyLeftWithoutOne() throws Exception {
        db.execute("insert into pgjobs.nodes (id, host, pid, version, heartbeat_at) values"
                + " ('vanished', 'h', 1, 'v', now() - interval '2 hours')");
        db.execute("insert into pgjobs.node_queues (node_id, queue, concurrency) values"
                + " ('vanished', 'reports', 4), ('truncated-away', 'reports', 2)");
        schedulers.start(node("leader").queue("reports", 3));
        Await.until(Duration.ofSeconds(30), "the dead node's row removed",
                () -> db.queryLong("select count(*) from pgjobs.nodes where id = 'vanished'") == 0);
        assertThat(db.queryLong("select count(*) from pgjobs.node_queues where node_id <> 'leader'")).isZero();
        assertThat(db.queryLong("select concurrency from pgjobs.node_queues where node_id = 'leader'")).isEqualTo(3);
    }

    @Test
    void listsTheKeysHeldBackAndWhyAndASkipLetsADiscardedHoldersKeyGoOn() throws Exception {
        Scheduler node = schedulers.start(node("a").queue("ledger", 5)
                .orderedKeys("ledger", OrderedKeys.BLOCK_WHEN_DISCARDED));
        long broken = node.client().enqueue(JobRequest.of(new Work("k1", false, true, false)).queue("ledger")
                .orderingKey("k1")).id();
        long retrying = node.client().enqueue(JobRequest.of(new Work("k2", false, false, true)).queue("ledger")
                .orderingKey("k2")).id();
        long running = node.client().enqueue(work("ledger", "k3", true).orderingKey("k3")).id();
        node.client().enqueueAll(List.of(work("ledger", "k1", false).orderingKey("k1"),
                work("ledger", "k1", false).orderingKey("k1"), work("ledger", "k2", false).orderingKey("k2"),
                work("ledger", "k3", false).orderingKey("k3")));
        Await.until(Duration.ofSeconds(30), "each key's first job discarded, retrying or running", () ->
                state(node, broken) == JobState.DISCARDED && state(node, retrying) == JobState.RETRYABLE
                        && state(node, running) == JobState.RUNNING);

        QueueFlowState ledger = byQueue(node.admin().flowControl()).get("ledger");
        assertThat(ledger.settings().orderedKeys()).isEqualTo(OrderedKeys.BLOCK_WHEN_DISCARDED);
        List<BlockedKey> blocked = ledger.blockedKeys();
        assertThat(blocked).extracting(BlockedKey::orderingKey, BlockedKey::holderJobId, BlockedKey::reason,
                        BlockedKey::waiting)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("k1", broken, "discarded", 2L),
                        org.assertj.core.groups.Tuple.tuple("k2", retrying, "retrying", 1L),
                        org.assertj.core.groups.Tuple.tuple("k3", running, "running", 1L));
        assertThat(blocked.get(1).holderRunAt()).as("retried in an hour").isAfter(ledger.at().plus(Duration.ofMinutes(30)));
        assertThat(blocked.get(0).holderState()).isEqualTo(JobState.DISCARDED);

        assertThatThrownBy(() -> node.admin().skipBlockingJob(" \u0000", broken))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("actor");
        assertThat(node.admin().skipBlockingJob("alice", retrying)).as("not discarded").isFalse();
        assertThatThrownBy(() -> node.admin().skipBlockingJob("alice", 999_999_999L)).as("no such job")
                .isInstanceOf(io.pgjobs.admin.NotFoundException.class).hasMessage("id: no job 999999999");

        assertThat(node.admin().skipBlockingJob("alice", broken)).isTrue();
        Job skipped = node.client().get(broken).orElseThrow();
        assertThat(skipped.state()).isEqualTo(JobState.CANCELLED);
        assertThat(skipped.lastError()).contains("is broken");
        assertThat(skipped.orderingKey()).isEqualTo("k1");
        Await.until(Duration.ofSeconds(30), "the two jobs behind the skipped one completed", () ->
                db.queryLong("select count(*) from pgjobs.jobs where ordering_key = 'k1' and state = 'completed'") == 2);
        assertThat(node.admin().skipBlockingJob("alice", broken)).as("skipped already").isFalse();

        AuditEntry entry = node.admin().audit(new PageRequest(null, 10)).getFirst();
        assertThat(entry.actor()).isEqualTo("alice");
        assertThat(entry.action()).isEqualTo("skip_blocking_job");
        assertThat(entry.target()).isEqualTo("job:" + broken);
        assertThat(entry.detail()).contains("\"orderingKey\": \"k1\"").contains("\"queue\": \"ledger\"");
        assertThat(byQueue(node.admin().flowControl()).get("ledger").blockedKeys())
                .extracting(BlockedKey::orderingKey).containsExactly("k2", "k3");
    }

    @Test
    void theJobViewCarriesTheRequestsPartitionAndOrderingKeys() throws Exception {
        Scheduler client = schedulers.build(Scheduler.builder(db.dataSource()).migrateOnStart(false));
        long keyed = client.client().enqueue(JobRequest.of(new Work("c", false, false, false))
                .partitionKey("tenant-7").orderingKey("account-42")).id();
        long plain = client.client().enqueue(JobRequest.of(new Work("c", false, false, false))).id();
        Job job = client.admin().job(keyed).orElseThrow();
        assertThat(job.partitionKey()).isEqualTo("tenant-7");
        assertThat(job.orderingKey()).isEqualTo("account-42");
        assertThat(client.client().get(plain).orElseThrow().partitionKey()).isNull();
        assertThat(client.client().get(plain).orElseThrow().orderingKey()).isNull();
    }

    private static JobState state(Scheduler node, long id) {
        return node.client().get(id).orElseThrow().state();
    }

    private static Map<String, QueueFlowState> byQueue(List<QueueFlowState> states) {
        return states.stream().collect(java.util.stream.Collectors.toMap(QueueFlowState::queue, s -> s));
    }
}
