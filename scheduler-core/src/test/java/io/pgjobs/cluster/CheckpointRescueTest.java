package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobState;
import io.pgjobs.Scheduler;
import io.pgjobs.cluster.WorkerLauncher.Worker;
import io.pgjobs.cluster.WorkerProcess.Checkpointed;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A checkpoint saved by a node that is then SIGKILLed is what the rescued attempt on another node starts from. */
class CheckpointRescueTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @Test
    @Timeout(120)
    void theRescuedAttemptReadsTheKilledNodesCheckpoint() throws Exception {
        db.execute("create table runs (job_id bigint not null, node text not null)");
        List<String> seen = new CopyOnWriteArrayList<>();
        try (WorkerLauncher workers = new WorkerLauncher()) {
            Worker doomed = workers.start(db.jdbcUrl(), "node-a", 2_000, 3_000, 2, 5_000);
            Scheduler enqueuer = schedulers.build(Scheduler.builder(db.dataSource()));
            long id = enqueuer.client().enqueue(new Checkpointed(600_000)).id();
            Await.until(Duration.ofSeconds(60), "node-a saved its checkpoint and is holding the job",
                    () -> db.queryLong("select count(*) from runs where job_id = " + id) == 1);
            Job held = enqueuer.client().get(id).orElseThrow();
            assertThat(held.checkpoint()).isEqualTo("\"saved by node-a\"");
            assertThat(held.progress()).isEqualTo(50);
            assertThat(held.progressMessage()).isEqualTo("half way on node-a");

            workers.kill(doomed);
            schedulers.start(Scheduler.builder(db.dataSource()).nodeId("node-b").queue("default", 2)
                    .leaseDuration(Duration.ofSeconds(2)).nodeDeadAfter(Duration.ofSeconds(3))
                    .pollInterval(Duration.ofMillis(200))
                    .handler(Checkpointed.class, ctx -> {
                        seen.add(ctx.attempt() + ": " + ctx.checkpointAs(String.class).orElse("none"));
                        return null;
                    }));
            Await.until(Duration.ofSeconds(60), "the job rescued and completed on node-b",
                    () -> enqueuer.client().get(id).orElseThrow().state() == JobState.COMPLETED);

            assertThat(seen).containsExactly("2: saved by node-a");
            assertThat(enqueuer.client().attempts(id)).extracting(JobAttempt::outcome)
                    .containsExactly(JobAttempt.Outcome.LOST, JobAttempt.Outcome.COMPLETED);
        }
    }
}
