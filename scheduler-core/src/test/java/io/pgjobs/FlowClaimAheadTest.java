package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A queue limited only per partition or by ordered keys claims ahead of its free slots, as a queue without flow
 * control does (docs/flow-control.md, "Claiming ahead"); the jobs it buffers count under their partitions and hold
 * their keys, so no partition runs more than its limit, and a put-back of buffered jobs reorders no key.
 */
class FlowClaimAheadTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    private static final int CONCURRENCY = 2;

    @JobKind("test.ahead")
    record Ahead(String key, int n) {}

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
    }

    /** What the handlers saw: the most of a key running at once, and each key's jobs in the order they ran. */
    static final class RunLog {
        final Map<String, AtomicInteger> runningPerKey = new ConcurrentHashMap<>();
        final AtomicInteger maxPerKey = new AtomicInteger();
        final Map<String, List<Integer>> order = new ConcurrentHashMap<>();
        private final long workMillis;

        RunLog(long workMillis) {
            this.workMillis = workMillis;
        }

        Object run(JobContext<Ahead> ctx) throws InterruptedException {
            AtomicInteger running = runningPerKey.computeIfAbsent(ctx.args().key(), k -> new AtomicInteger());
            maxPerKey.accumulateAndGet(running.incrementAndGet(), Math::max);
            order.computeIfAbsent(ctx.args().key(), k -> Collections.synchronizedList(new ArrayList<>()))
                    .add(ctx.args().n());
            try {
                Thread.sleep(workMillis); // work, so that the buffered jobs wait for a slot
                return null;
            } finally {
                running.decrementAndGet();
            }
        }
    }

    private static void enqueue(Scheduler scheduler, int keys, int perKey, boolean ordered) {
        List<JobRequest> jobs = new ArrayList<>();
        for (int n = 0; n < perKey; n++) {
            for (int k = 0; k < keys; k++) {
                JobRequest job = JobRequest.of(new Ahead("k" + k, n)).queue("q");
                jobs.add(ordered ? job.orderingKey("k" + k) : job);
            }
        }
        scheduler.client().enqueueAll(jobs);
    }

    private static void awaitCompleted(int jobs) throws Exception {
        Await.until(Duration.ofSeconds(120), jobs + " jobs completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == jobs);
    }

    /** The most jobs one claim took (the jobs of one claim share its transaction's start, their started_at). */
    private static long largestClaim() throws Exception {
        return db.queryLong("select max(n) from (select count(*) n from pgjobs.attempts group by started_at) c");
    }

    @Test
    void aQueueLimitedPerPartitionClaimsAheadAndNeverRunsTwoOfAPartition() throws Exception {
        RunLog log = new RunLog(20);
        Scheduler node = schedulers.start(Scheduler.builder(db.dataSource()).migrateOnStart(false)
                .queue("q", CONCURRENCY).partitionLimit("q", PartitionKey.args("key"), 1)
                .handler(Ahead.class, log::run));
        enqueue(node, 6, 5, false);

        awaitCompleted(30);
        assertThat(log.maxPerKey).as("most jobs of a partition running at once").hasValue(1);
        assertThat(largestClaim()).as("most jobs a claim took").isGreaterThan(CONCURRENCY);
        assertThat(db.queryLong("select coalesce(sum(running), 0) from pgjobs.flow_running")).isZero();
    }

    @Test
    void aQueueWithALimitOfItsOwnClaimsOnlyItsFreeSlots() throws Exception {
        RunLog log = new RunLog(20);
        Scheduler node = schedulers.start(Scheduler.builder(db.dataSource()).migrateOnStart(false)
                .queue("q", CONCURRENCY).queueLimit("q", 100).partitionLimit("q", PartitionKey.args("key"), 1)
                .handler(Ahead.class, log::run));
        enqueue(node, 6, 5, false);

        awaitCompleted(30);
        assertThat(log.maxPerKey).hasValue(1);
        assertThat(largestClaim()).as("most jobs a claim took").isLessThanOrEqualTo(CONCURRENCY);
    }

    /**
     * One slot and jobs that run longer than a buffered job may wait: the job claimed ahead goes back, and each
     * key's jobs still run in the order they were enqueued.
     */
    @Test
    void orderedKeysJobsPutBackFromTheBufferKeepTheirKeysOrder() throws Exception {
        db.execute("create table if not exists public.put_backs (id bigint, at timestamptz default clock_timestamp())");
        db.execute("truncate public.put_backs");
        db.execute("""
                create or replace function public.record_put_back() returns trigger language plpgsql as $$
                begin insert into public.put_backs (id) values (new.id); return null; end $$""");
        db.execute("""
                create or replace trigger record_put_back after update on pgjobs.jobs for each row
                when (old.state = 'running' and new.state = 'available') execute function public.record_put_back()""");
        try {
            RunLog log = new RunLog(700);
            Scheduler node = schedulers.start(Scheduler.builder(db.dataSource()).migrateOnStart(false)
                    .queue("q", 1).orderedKeys("q", OrderedKeys.BLOCK_WHEN_DISCARDED)
                    .handler(Ahead.class, log::run));
            enqueue(node, 3, 3, true);

            awaitCompleted(9);
            assertThat(db.queryLong("select count(*) from public.put_backs"))
                    .as("jobs claimed ahead and put back unstarted").isPositive();
            assertThat(log.maxPerKey).hasValue(1);
            assertThat(log.order).containsOnlyKeys("k0", "k1", "k2");
            log.order.values().forEach(order -> assertThat(order).containsExactly(0, 1, 2));
        } finally {
            db.execute("drop trigger record_put_back on pgjobs.jobs");
        }
    }
}
