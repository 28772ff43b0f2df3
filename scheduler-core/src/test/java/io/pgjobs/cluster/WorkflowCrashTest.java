package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.EnqueuedWorkflow;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.Scheduler;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.cluster.WorkerLauncher.Worker;
import io.pgjobs.cluster.WorkerProcess.Count;
import io.pgjobs.cluster.WorkerProcess.Hold;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A workflow whose node is SIGKILLed while a step runs: the step is rescued and completed on another node, and
 * only then are its dependants released, each run once.
 */
class WorkflowCrashTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @Test
    @Timeout(180)
    void aStepOfAKilledNodeIsRescuedElsewhereAndThenReleasesItsDependants() throws Exception {
        db.execute("create table runs (job_id bigint not null, node text not null)");
        List<String> ranOnB = new CopyOnWriteArrayList<>();
        try (WorkerLauncher workers = new WorkerLauncher()) {
            Worker doomed = workers.start(db.jdbcUrl(), "node-a", 2_000, 3_000, 2, 5_000);
            Scheduler enqueuer = schedulers.build(Scheduler.builder(db.dataSource()));
            EnqueuedWorkflow enqueued = enqueuer.client().workflows().enqueue(Workflow.builder("crash")
                    .step("hold", JobRequest.of(new Hold(600_000)))
                    .step("left", JobRequest.of(new Count(1)), "hold")
                    .step("right", JobRequest.of(new Count(2)), "hold")
                    .step("join", JobRequest.of(new Count(3)), "left", "right")
                    .build());
            long hold = enqueued.jobIds().get("hold");
            Await.until(Duration.ofSeconds(60), "node-a is running the first step",
                    () -> db.queryLong("select count(*) from runs where job_id = " + hold) == 1);

            workers.kill(doomed);
            assertThat(enqueuer.client().workflows().get(enqueued.workflowId()).orElseThrow().steps())
                    .filteredOn(step -> !step.name().equals("hold"))
                    .allSatisfy(step -> assertThat(step.state()).isEqualTo(JobState.PENDING));
            schedulers.start(Scheduler.builder(db.dataSource()).nodeId("node-b").queue("default", 2)
                    .leaseDuration(Duration.ofSeconds(2)).nodeDeadAfter(Duration.ofSeconds(3))
                    .pollInterval(Duration.ofMillis(200))
                    .handler(Hold.class, ctx -> {
                        ranOnB.add("hold");
                        return null;
                    })
                    .handler(Count.class, ctx -> {
                        ranOnB.add("count " + ctx.args().n());
                        return null;
                    }));
            WorkflowStatus done = enqueuer.client().workflows().await(enqueued.workflowId(), Duration.ofMinutes(2));

            assertThat(done.state()).isEqualTo(WorkflowStatus.State.COMPLETED);
            assertThat(ranOnB).containsExactlyInAnyOrder("hold", "count 1", "count 2", "count 3");
            assertThat(ranOnB.getLast()).isEqualTo("count 3");
            assertThat(enqueuer.client().attempts(hold)).extracting(JobAttempt::outcome)
                    .containsExactly(JobAttempt.Outcome.LOST, JobAttempt.Outcome.COMPLETED);
        }
    }
}
