package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Cluster-wide concurrency limits, per queue and per partition, with several nodes in one JVM. */
class QueueLimitsTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.limited")
    record Limited(String customer, int n) {}

    /**
     * What the handlers themselves saw: how many ran at once in all and per customer, at most, and how many
     * ran at all. Each handler counts itself in on entry and out on exit.
     */
    static final class RunLog {
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();
        final AtomicInteger maxPerCustomer = new AtomicInteger();
        final AtomicInteger runs = new AtomicInteger();
        final Map<String, AtomicInteger> perCustomer = new ConcurrentHashMap<>();

        Object run(JobContext<Limited> ctx) throws InterruptedException {
            AtomicInteger customer = perCustomer.computeIfAbsent(ctx.args().customer(), c -> new AtomicInteger());
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            maxPerCustomer.accumulateAndGet(customer.incrementAndGet(), Math::max);
            try {
                Thread.sleep(2); // a little work, so that jobs overlap
                return null;
            } finally {
                customer.decrementAndGet();
                running.decrementAndGet();
                runs.incrementAndGet();
            }
        }
    }

    private Scheduler.Builder node(String id, RunLog log) {
        return Scheduler.builder(db.dataSource()).nodeId(id).migrateOnStart(false)
                .queue("limited", 5)
                .queueLimit("limited", 3)
                .partitionLimit("limited", PartitionKey.args("customer"), 1)
                .handler(Limited.class, log::run);
    }

    private static List<JobRequest> jobs(int count, int customers) {
        List<JobRequest> jobs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            jobs.add(JobRequest.of(new Limited("c" + (i % customers), i)).queue("limited"));
        }
        return jobs;
    }

    @Test
    void threeNodesNeverRunMoreThanTheLimitInAllNorTwoOfACustomer() throws Exception {
        RunLog log = new RunLog();
        List<Scheduler> nodes = new ArrayList<>();
        for (String id : List.of("a", "b", "c")) {
            nodes.add(schedulers.start(node(id, log)));
        }
        nodes.getFirst().client().enqueueAll(jobs(300, 10));

        Await.until(Duration.ofSeconds(60), "300 jobs completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 300);
        assertThat(log.runs).hasValue(300);
        assertThat(log.maxRunning.get()).as("most jobs running at once").isBetween(1, 3);
        assertThat(log.maxPerCustomer.get()).as("most jobs of one customer running at once").isEqualTo(1);
    }

    /**
     * Every node looks for work only once an hour here: after the first jobs, only the wake-up that a node
     * sends when a job of a limited queue ends gets the next ones claimed.
     */
    @Test
    void aJobEndingOnOneNodeWakesTheClaimersOfTheOthers() throws Exception {
        RunLog log = new RunLog();
        for (String id : List.of("a", "b")) {
            schedulers.start(node(id, log).pollInterval(Duration.ofHours(1)));
        }
        schedulers.build(Scheduler.builder(db.dataSource()).migrateOnStart(false)).client().enqueueAll(jobs(20, 1));

        Await.until(Duration.ofSeconds(60), "20 jobs of one customer completed one after the other",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 20);
        assertThat(log.maxPerCustomer).hasValue(1);
    }

    /** A node that died holding all the slots: its jobs are rescued, and then the queue moves on. */
    @Test
    void aCrashedNodesSlotsComeBackWhenItsJobsAreRescued() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue, state, attempt, args, node_id, started_at, "
                + "lease_expires_at, flow_partition) select 'test.limited', 'limited', 'running', 1, "
                + "jsonb_build_object('customer', 'dead' || i, 'n', i), 'dead-node', now() - interval '1 minute', "
                + "now() - interval '1 second', 'dead' || i from generate_series(1, 3) i");
        RunLog log = new RunLog();
        Scheduler node = schedulers.start(node("survivor", log).leaseDuration(Duration.ofSeconds(1)));
        node.client().enqueueAll(jobs(6, 6));

        Await.until(Duration.ofSeconds(60), "the dead node's 3 jobs and 6 new ones completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 9);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where outcome = 'lost'")).isEqualTo(3);
        assertThat(log.maxRunning.get()).isBetween(1, 3);
        assertThat(db.queryLong("select coalesce(sum(running), 0) from pgjobs.flow_running"))
                .as("jobs counted as running (V39's kept counts) once all ended").isZero();
    }

    @Test
    void eachSettingIsValidatedWhereItIsSet() {
        Scheduler.Builder builder = Scheduler.builder(db.dataSource()).queue("q", 2);
        assertThatThrownBy(() -> builder.queueLimit("other", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queueLimit: queue 'other' is not configured");
        assertThatThrownBy(() -> builder.queueLimit("q", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("queueLimit: 0 for queue 'q'");
        assertThatThrownBy(() -> builder.partitionLimit("q", PartitionKey.args("c"), 100_001))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitionLimit: 100001");
        builder.queueLimit("q", 1);
        assertThatThrownBy(() -> builder.queueLimit("q", 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already has a limit");
        assertThatThrownBy(() -> PartitionKey.args())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a path into the args");
        assertThatThrownBy(() -> PartitionKey.metadata("tenant", " "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("path fields");
        assertThatThrownBy(() -> JobRequest.of(new Limited("c", 1)).partitionKey(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitionKey: must not be blank");
    }

    @Test
    void aRequestsPartitionKeyIsStoredWithTheJob() throws Exception {
        Scheduler client = schedulers.build(Scheduler.builder(db.dataSource()).migrateOnStart(false));
        long one = client.client().enqueue(JobRequest.of(new Limited("c", 1)).queue("limited").partitionKey("p1")).id();
        long batched = client.client().enqueueAll(List.of(JobRequest.of(new Limited("c", 2)).partitionKey("p2"),
                JobRequest.of(new Limited("c", 3)))).getFirst().id();

        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id = " + one + " and partition_key = 'p1'"))
                .isEqualTo(1);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id = " + batched
                + " and partition_key = 'p2'")).isEqualTo(1);

        List<JobRequest> copied = new ArrayList<>(); // a batch this big of jobs due now goes in by COPY
        for (int i = 0; i < 150; i++) {
            copied.add(JobRequest.of(new Limited("c", i)).partitionKey(i % 2 == 0 ? "even" : "odd"));
        }
        client.client().enqueueAll(copied);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where partition_key = 'even'")).isEqualTo(75);
    }
}
