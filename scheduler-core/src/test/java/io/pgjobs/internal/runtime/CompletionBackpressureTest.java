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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Handlers free their slots before their completions are written; when the database cannot take the
 * completions, the node must stop claiming instead of running up ever more jobs it holds and renews.
 */
class CompletionBackpressureTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final int CONCURRENCY = 100;
    private static final int JOBS = 20_000;

    @JobKind("test.backpressure")
    record Quick(int n) {}

    @Test
    void aNodeStopsClaimingWhileItsCompletionsCannotBeWritten() throws Exception {
        try (Connection blocker = db.connect(); Statement s = blocker.createStatement()) {
            // Completions add to this node's per-minute statistics row; an uncommitted row with the same key makes
            // every completion statement wait for this transaction.
            blocker.setAutoCommit(false);
            s.execute("""
                    insert into pgjobs.job_stats (minute, queue, kind, state, node_id, jobs, duration_ms)
                    select date_trunc('minute', now()) + m * interval '1 minute', 'default', 'test.backpressure',
                           'completed', 'backpressure-node', 0, 0
                    from generate_series(0, 2) m""");

            try (Scheduler scheduler = Scheduler.builder(db.dataSource()).nodeId("backpressure-node")
                    .queue("default", CONCURRENCY).handler(Quick.class, ctx -> null).build()) {
                scheduler.start();
                List<JobRequest> jobs = new ArrayList<>();
                for (int i = 0; i < JOBS; i++) {
                    jobs.add(JobRequest.of(new Quick(i)));
                }
                scheduler.client().enqueueAll(jobs);

                Await.until(Duration.ofSeconds(20), "a full batch of completions waiting",
                        () -> running() >= Completer.MAX_BATCH);
                Thread.sleep(1_500); // time enough to claim everything, were nothing holding the node back
                long held = running();

                blocker.rollback();
                Await.until(Duration.ofSeconds(60), "every job completed",
                        () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == JOBS);
                // at most a full batch of completions waiting, a job in each slot and a full claim-ahead buffer
                assertThat(held).as("jobs the node held while its completions could not be written")
                        .isLessThanOrEqualTo(Completer.MAX_BATCH + CONCURRENCY
                                + (long) Math.max(CONCURRENCY, QueueFetcher.MAX_AHEAD));
            }
        }
    }

    private static long running() throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs where state = 'running'");
    }
}
