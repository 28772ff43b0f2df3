package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.EnqueuedWorkflow;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.NonRetryableException;
import io.pgjobs.Scheduler;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.cluster.WorkerLauncher.Worker;
import io.pgjobs.cluster.WorkerProcess.Count;
import io.pgjobs.cluster.WorkerProcess.Fail;
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
 * A saga whose node is SIGKILLed in each phase, a worker JVM ({@link WorkerLauncher}) killed while it runs a
 * step, and while it runs a compensation: the saga ends compensated on another node, each compensation run to
 * completion exactly once.
 */
class SagaCrashTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    /** What node-b ran, by kind and args. */
    private final List<String> ranOnB = new CopyOnWriteArrayList<>();

    @Test
    @Timeout(180)
    void aSagaKilledDuringAStepIsCompensatedOnAnotherNode() throws Exception {
        db.execute("create table if not exists runs (job_id bigint not null, node text not null)");
        try (WorkerLauncher workers = new WorkerLauncher()) {
            Worker doomed = workers.start(db.jdbcUrl(), "node-a", 2_000, 3_000, 2, 5_000);
            Scheduler enqueuer = schedulers.build(Scheduler.builder(db.dataSource()));
            EnqueuedWorkflow enqueued = enqueuer.client().workflows().enqueue(Workflow.saga("killed in a step")
                    .compensatedStep("a", JobRequest.of(new Count(1)), JobRequest.of(new Count(10)))
                    .compensatedStep("b", JobRequest.of(new Hold(600_000)), JobRequest.of(new Count(20)), "a")
                    .compensatedStep("c", JobRequest.of(new Count(3)), JobRequest.of(new Count(30)), "b")
                    .build());
            long b = enqueued.jobIds().get("b");
            Await.until(Duration.ofSeconds(60), "node-a is running step b",
                    () -> db.queryLong("select count(*) from runs where job_id = " + b) == 1);

            workers.kill(doomed);
            // on node-b, step b fails for good once rescued: a's compensation must run there, once
            startNodeB(() -> {
                throw new NonRetryableException("b fails on node-b");
            });
            WorkflowStatus done = enqueuer.client().workflows().await(enqueued.workflowId(), Duration.ofMinutes(2));

            assertThat(done.sagaState()).isEqualTo(WorkflowStatus.SagaState.COMPENSATED);
            assertThat(ranOnB).containsExactly("hold", "count 10");
            long undoA = done.step("a").orElseThrow().compensation().jobId();
            assertThat(enqueuer.client().attempts(undoA)).extracting(JobAttempt::outcome)
                    .containsExactly(JobAttempt.Outcome.COMPLETED);
            assertThat(done.step("b").orElseThrow().compensation().jobId()).isNull();
            assertThat(done.step("c").orElseThrow().state()).isEqualTo(JobState.CANCELLED);
            assertThat(enqueuer.client().attempts(b)).extracting(JobAttempt::outcome)
                    .containsExactly(JobAttempt.Outcome.LOST, JobAttempt.Outcome.FAILED);
        }
    }

    @Test
    @Timeout(180)
    void aSagaKilledDuringACompensationFinishesCompensatingOnAnotherNode() throws Exception {
        db.execute("create table if not exists runs (job_id bigint not null, node text not null)");
        try (WorkerLauncher workers = new WorkerLauncher()) {
            Worker doomed = workers.start(db.jdbcUrl(), "node-a", 2_000, 3_000, 2, 5_000);
            Scheduler enqueuer = schedulers.build(Scheduler.builder(db.dataSource()));
            EnqueuedWorkflow enqueued = enqueuer.client().workflows().enqueue(Workflow.saga("killed compensating")
                    .compensatedStep("a", JobRequest.of(new Count(1)), JobRequest.of(new Count(10)))
                    .compensatedStep("b", JobRequest.of(new Count(2)), JobRequest.of(new Hold(600_000)), "a")
                    .compensatedStep("c", JobRequest.of(new Fail(3)), JobRequest.of(new Count(30)), "b")
                    .build());
            long id = enqueued.workflowId();
            Await.until(Duration.ofSeconds(60), "node-a is running b's compensation", () -> {
                Long undoB = enqueuer.client().workflows().get(id).orElseThrow().step("b").orElseThrow()
                        .compensation().jobId();
                return undoB != null && db.queryLong("select count(*) from runs where job_id = " + undoB) == 1;
            });
            assertThat(enqueuer.client().workflows().get(id).orElseThrow().sagaState())
                    .isEqualTo(WorkflowStatus.SagaState.COMPENSATING);

            workers.kill(doomed);
            startNodeB(() -> null);
            WorkflowStatus done = enqueuer.client().workflows().await(id, Duration.ofMinutes(2));

            assertThat(done.sagaState()).isEqualTo(WorkflowStatus.SagaState.COMPENSATED);
            assertThat(ranOnB).containsExactly("hold", "count 10");
            long undoB = done.step("b").orElseThrow().compensation().jobId();
            assertThat(enqueuer.client().attempts(undoB)).extracting(JobAttempt::outcome)
                    .containsExactly(JobAttempt.Outcome.LOST, JobAttempt.Outcome.COMPLETED);
            long undoA = done.step("a").orElseThrow().compensation().jobId();
            assertThat(enqueuer.client().attempts(undoA)).extracting(JobAttempt::outcome)
                    .containsExactly(JobAttempt.Outcome.COMPLETED);
            assertThat(done.step("c").orElseThrow().compensation().jobId()).isNull();
        }
    }

    /** What node-b's handler of {@link Hold} does after recording its run. */
    private interface HoldOnB {
        Object run() throws Exception;
    }

    private void startNodeB(HoldOnB hold) {
        schedulers.start(Scheduler.builder(db.dataSource()).nodeId("node-b").queue("default", 2)
                .leaseDuration(Duration.ofSeconds(2)).nodeDeadAfter(Duration.ofSeconds(3))
                .pollInterval(Duration.ofMillis(200))
                .handler(Hold.class, ctx -> {
                    ranOnB.add("hold");
                    return hold.run();
                })
                .handler(Count.class, ctx -> {
                    ranOnB.add("count " + ctx.args().n());
                    return null;
                })
                .handler(Fail.class, ctx -> {
                    ranOnB.add("fail " + ctx.args().n());
                    throw new NonRetryableException("fails for good");
                }));
    }
}
