package io.pgjobs.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A completion that takes longer than the lease (a database that falls behind, a batch too big for its statement
 * timeout) must not let any job of the node run twice: neither the finished job whose completion is stuck, nor a
 * job whose handler still runs meanwhile. A completion holds its jobs' row locks while it runs, and lease
 * renewals used to wait behind them: a 10,000-step fan-in ran a step twice that way.
 */
class SlowCompletionTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final String NODE = "slow-completion-node";
    private static final Duration LEASE = Duration.ofSeconds(2);

    @JobKind("test.finishes-at-once")
    record FinishesAtOnce() {}

    @JobKind("test.runs-on")
    record RunsOn() {}

    @Test
    void aCompletionStuckForSeveralLeasesLetsNoJobRunTwice() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts, pgjobs.job_stats");
        AtomicInteger finishedRuns = new AtomicInteger();
        AtomicInteger runningRuns = new AtomicInteger();
        CountDownLatch letRunningFinish = new CountDownLatch(1);
        try (Connection blocker = db.connect(); Statement s = blocker.createStatement()) {
            // Completions of this node add to its per-minute statistics row; uncommitted rows with the same keys
            // make every completion of the job that finishes at once wait for this transaction, holding the job's
            // row lock, and run into its statement timeout (the lease), again and again.
            blocker.setAutoCommit(false);
            s.execute("""
                    insert into pgjobs.job_stats (minute, queue, kind, state, node_id, jobs, duration_ms)
                    select date_trunc('minute', now()) + m * interval '1 minute', 'default', 'test.finishes-at-once',
                           'completed', '%s', 0, 0
                    from generate_series(0, 5) m""".formatted(NODE));

            try (Scheduler scheduler = Scheduler.builder(db.dataSource()).nodeId(NODE).leaseDuration(LEASE)
                    .queue("default", 2)
                    .handler(FinishesAtOnce.class, ctx -> {
                        finishedRuns.incrementAndGet();
                        return null;
                    })
                    .handler(RunsOn.class, ctx -> {
                        runningRuns.incrementAndGet();
                        letRunningFinish.await(2, TimeUnit.MINUTES);
                        return null;
                    })
                    .build()) {
                scheduler.start();
                // the stuck job first: a renewal locks its rows in id order, so it would wait there before it
                // reached the running job's
                long stuck = scheduler.client().enqueue(JobRequest.of(new FinishesAtOnce())).id();
                long running = scheduler.client().enqueue(JobRequest.of(new RunsOn())).id();
                Await.until(Duration.ofSeconds(60), "both handlers started",
                        () -> finishedRuns.get() > 0 && runningRuns.get() > 0);
                long startedMs = db.queryLong("select (extract(epoch from now()) * 1000)::bigint");

                Await.until(Duration.ofSeconds(120), "the running job's lease kept for five leases past the start",
                        () -> db.queryLong("select coalesce((extract(epoch from max(lease_expires_at)) * 1000)::bigint, 0) "
                                + "from pgjobs.jobs where id = " + running) > startedMs + 5 * LEASE.toMillis());
                assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'running' and id = " + stuck))
                        .as("the finished job's completion is still stuck").isOne();

                blocker.rollback();
                letRunningFinish.countDown();
                Await.until(Duration.ofSeconds(60), "both jobs completed", () -> db.queryLong(
                        "select count(*) from pgjobs.jobs where state = 'completed'") == 2);

                assertThat(finishedRuns).as("runs of the job whose completion was stuck").hasValue(1);
                assertThat(runningRuns).as("runs of the job that ran meanwhile").hasValue(1);
                assertThat(db.queryLong("select count(*) from pgjobs.attempts")).as("attempts written").isEqualTo(2);
                assertThat(db.queryLong("select count(*) from pgjobs.jobs where attempt <> 1")).isZero();
            }
        }
    }
}
