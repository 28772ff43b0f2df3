package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.admin.AuditEntry;
import io.pgjobs.admin.PageRequest;
import io.pgjobs.internal.store.MaintenanceStore;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sagas against the database (V28): a saga whose steps all complete compensates nothing; a step that fails for
 * good has exactly the completed steps compensated, latest declared first, each once, with the step's args and
 * result; a failing compensation is retried; a discarded one leaves the saga for an operator, whose retry
 * finishes it; a rolled-back enqueue leaves nothing.
 */
class SagaTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    private static final Duration LONG_WAIT = Duration.ofMinutes(5);

    /** A forward step: returns "done " + its name, or fails for good while its name is in {@link #failing}. */
    @JobKind("saga.step")
    record Step(String name) {}

    /** A compensation: records what it undid; fails (retryably) while {@link #undoFailures} has some left for it. */
    @JobKind("saga.undo")
    record Undo(String name) {}

    /** A step that waits for {@link #release} before it completes. */
    @JobKind("saga.slow")
    record Slow(String name) {}

    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> undoFailures = new ConcurrentHashMap<>();
    /** Each compensation that completed: its own name, then the step's name, args and result it was given. */
    private final List<String> undone = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> undoRuns = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch slowStarted = new CountDownLatch(1);
    private final List<SchedulerEvent> events = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private Scheduler scheduler;
    private JobClient client;

    @BeforeEach
    void setUp() {
        scheduler = schedulers.start(Scheduler.builder(db.dataSource()).queue("default", 4)
                .meterRegistry(registry)
                .listener(events::add)
                .retryPolicy(attempt -> Duration.ofMillis(10))
                .handler(Step.class, ctx -> {
                    if (failing.contains(ctx.args().name())) {
                        throw new NonRetryableException("step " + ctx.args().name() + " fails");
                    }
                    return "done " + ctx.args().name();
                })
                .handler(Slow.class, ctx -> {
                    slowStarted.countDown();
                    assertThat(release.await(5, TimeUnit.MINUTES)).isTrue();
                    return "done " + ctx.args().name();
                })
                .handler(Undo.class, ctx -> {
                    String name = ctx.args().name();
                    undoRuns.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
                    AtomicInteger failuresLeft = undoFailures.get(name);
                    if (failuresLeft != null && failuresLeft.getAndDecrement() > 0) {
                        throw new IllegalStateException("undo " + name + " fails");
                    }
                    CompensatedStep step = ctx.compensatedStep().orElseThrow();
                    undone.add(name + " of " + step.name() + " " + ctx.compensatedArgs(Step.class).name() + " "
                            + ctx.compensatedResult(String.class));
                    return null;
                }));
        client = scheduler.client();
    }

    /** A chain a → b → c, each compensated by undo-a, undo-b, undo-c. */
    private static Workflow chain(String name) {
        Workflow.Builder saga = Workflow.saga(name);
        String previous = null;
        for (String step : List.of("a", "b", "c")) {
            JobRequest undo = JobRequest.of(new Undo("undo-" + step)).maxAttempts(3);
            saga = previous == null ? saga.compensatedStep(step, JobRequest.of(new Step(step)), undo)
                    : saga.compensatedStep(step, JobRequest.of(new Step(step)), undo, previous);
            previous = step;
        }
        return saga.build();
    }

    @Test
    void aSagaWhoseStepsAllCompleteCompensatesNothing() throws Exception {
        long id = client.workflows().enqueue(chain("forward")).workflowId();

        WorkflowStatus done = client.workflows().await(id, LONG_WAIT);

        assertThat(done.sagaState()).isEqualTo(WorkflowStatus.SagaState.COMPLETED);
        assertThat(done.state()).isEqualTo(WorkflowStatus.State.COMPLETED);
        assertThat(done.steps()).allSatisfy(step -> {
            assertThat(step.state()).isEqualTo(JobState.COMPLETED);
            assertThat(step.compensation()).isEqualTo(new WorkflowStep.Compensation("saga.undo", null, null));
        });
        assertThat(undone).isEmpty();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where compensates is not null")).isZero();
    }

    @Test
    void aFailureAtEachStepCompensatesExactlyTheCompletedStepsLatestFirstEachOnce() throws Exception {
        List<String> steps = List.of("a", "b", "c");
        for (int failed = 0; failed < steps.size(); failed++) {
            failing.clear();
            failing.add(steps.get(failed));
            undone.clear();
            undoRuns.clear();

            long id = client.workflows().enqueue(chain("fails at " + steps.get(failed))).workflowId();
            WorkflowStatus done = client.workflows().await(id, LONG_WAIT);

            assertThat(done.sagaState()).as("failing at %s", steps.get(failed))
                    .isEqualTo(WorkflowStatus.SagaState.COMPENSATED);
            assertThat(done.state()).isEqualTo(WorkflowStatus.State.FAILED);
            List<String> expected = new java.util.ArrayList<>();
            for (int completed = failed - 1; completed >= 0; completed--) {
                String step = steps.get(completed);
                expected.add("undo-" + step + " of " + step + " " + step + " done " + step);
            }
            assertThat(undone).as("failing at %s", steps.get(failed)).containsExactlyElementsOf(expected);
            undoRuns.values().forEach(runs -> assertThat(runs).hasValue(1));
            for (int i = 0; i < steps.size(); i++) {
                WorkflowStep.Compensation compensation = done.step(steps.get(i)).orElseThrow().compensation();
                if (i < failed) {
                    assertThat(compensation.state()).isEqualTo(JobState.COMPLETED);
                    assertThat(client.get(compensation.jobId()).orElseThrow().kind()).isEqualTo("saga.undo");
                } else {
                    assertThat(compensation.jobId()).isNull();
                }
            }
        }
    }

    @Test
    void aCompensationThatFailsIsRetriedAndThenSucceeds() throws Exception {
        failing.add("c");
        undoFailures.put("undo-b", new AtomicInteger(2));
        Await.until(LONG_WAIT, "this node leads (the leader publishes the saga's events)",
                () -> scheduler.admin().nodes().stream().anyMatch(node -> node.leaderSince() != null));

        long id = client.workflows().enqueue(chain("flaky undo")).workflowId();
        WorkflowStatus done = client.workflows().await(id, LONG_WAIT);

        assertThat(done.sagaState()).isEqualTo(WorkflowStatus.SagaState.COMPENSATED);
        assertThat(undone).containsExactly("undo-b of b b done b", "undo-a of a a done a");
        assertThat(undoRuns.get("undo-b")).hasValue(3);
        // the leader (the only node here) publishes each move once, after its commit
        Await.until(LONG_WAIT, "the saga's events", () -> events.contains(
                new SchedulerEvent.SagaStateChanged(id, WorkflowStatus.SagaState.COMPENSATED)));
        assertThat(events).filteredOn(e -> e instanceof SchedulerEvent.SagaStateChanged).containsExactly(
                new SchedulerEvent.SagaStateChanged(id, WorkflowStatus.SagaState.COMPENSATING),
                new SchedulerEvent.SagaStateChanged(id, WorkflowStatus.SagaState.COMPENSATED));
        assertThat(registry.get("pgjobs.sagas.transitions").tag("state", "compensated").counter().count())
                .isEqualTo(1.0);
        assertThat(client.attempts(done.step("b").orElseThrow().compensation().jobId()))
                .extracting(JobAttempt::outcome)
                .containsExactly(JobAttempt.Outcome.FAILED, JobAttempt.Outcome.FAILED, JobAttempt.Outcome.COMPLETED);
    }

    @Test
    void aDiscardedCompensationLeavesTheSagaToAnOperatorWhoseRetryFinishesIt() throws Exception {
        failing.add("c");
        undoFailures.put("undo-b", new AtomicInteger(3)); // all of its 3 attempts

        long id = client.workflows().enqueue(chain("undo discarded")).workflowId();
        WorkflowStatus stuck = client.workflows().await(id, LONG_WAIT);

        assertThat(stuck.sagaState()).isEqualTo(WorkflowStatus.SagaState.COMPENSATION_FAILED);
        assertThat(stuck.step("b").orElseThrow().compensation().state()).isEqualTo(JobState.DISCARDED);
        assertThat(stuck.step("a").orElseThrow().compensation().jobId()).as("a waits for b's undo").isNull();
        assertThat(undone).isEmpty();
        assertThatThrownBy(() -> scheduler.admin().retryCompensation(null, id))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(scheduler.admin().retryCompensation("olga", id)).isTrue();
        WorkflowStatus done = client.workflows().await(id, LONG_WAIT);

        assertThat(done.sagaState()).isEqualTo(WorkflowStatus.SagaState.COMPENSATED);
        assertThat(undone).containsExactly("undo-b of b b done b", "undo-a of a a done a");
        assertThat(scheduler.admin().retryCompensation("olga", id)).as("nothing failed any more").isFalse();
        AuditEntry entry = scheduler.admin().audit(PageRequest.first(10)).getFirst();
        assertThat(List.of(entry.actor(), entry.action(), entry.target()))
                .containsExactly("olga", "retry_compensation", "workflow:" + id);
    }

    @Test
    void aStepStillRunningWhenAnotherFailsIsCompensatedOnceItCompletes() throws Exception {
        failing.add("fails");
        Workflow saga = Workflow.saga("parallel")
                .compensatedStep("a", JobRequest.of(new Step("a")), JobRequest.of(new Undo("undo-a")))
                .compensatedStep("slow", JobRequest.of(new Slow("slow")), JobRequest.of(new Undo("undo-slow")), "a")
                .compensatedStep("fails", JobRequest.of(new Step("fails")), JobRequest.of(new Undo("undo-fails")), "a")
                .step("join", JobRequest.of(new Step("join")), "slow", "fails")
                .build();
        EnqueuedWorkflow enqueued = client.workflows().enqueue(saga);
        long id = enqueued.workflowId();
        assertThat(slowStarted.await(5, TimeUnit.MINUTES)).isTrue();
        Await.until(Duration.ofMinutes(2), "the failing step is discarded",
                () -> client.workflows().get(id).orElseThrow().step("fails").orElseThrow().state()
                        == JobState.DISCARDED);

        WorkflowStatus waiting = client.workflows().get(id).orElseThrow();
        assertThat(waiting.sagaState()).isEqualTo(WorkflowStatus.SagaState.COMPENSATING);
        assertThat(waiting.step("join").orElseThrow().state()).isEqualTo(JobState.CANCELLED);
        assertThat(waiting.step("a").orElseThrow().compensation().jobId()).as("waits for the running step").isNull();
        release.countDown();
        WorkflowStatus done = client.workflows().await(id, LONG_WAIT);

        assertThat(done.sagaState()).isEqualTo(WorkflowStatus.SagaState.COMPENSATED);
        assertThat(undone).containsExactly("undo-slow of slow slow done slow", "undo-a of a a done a");
    }

    @Test
    void cancellingASagaStopsItsStepsAndCompensatesWhatCompleted() throws Exception {
        Workflow saga = Workflow.saga("cancelled")
                .compensatedStep("a", JobRequest.of(new Step("a")), JobRequest.of(new Undo("undo-a")))
                .compensatedStep("slow", JobRequest.of(new Slow("slow")), JobRequest.of(new Undo("undo-slow")), "a")
                .compensatedStep("b", JobRequest.of(new Step("b")), JobRequest.of(new Undo("undo-b")), "slow")
                .build();
        long id = client.workflows().enqueue(saga).workflowId();
        assertThat(slowStarted.await(5, TimeUnit.MINUTES)).isTrue();

        assertThat(client.workflows().cancel(id)).as("b cancelled, slow asked to stop").isEqualTo(2);
        // slow's handler is interrupted and ends cancelled; only then does a's compensation run
        WorkflowStatus done = client.workflows().await(id, LONG_WAIT);

        assertThat(done.sagaState()).isEqualTo(WorkflowStatus.SagaState.COMPENSATED);
        assertThat(done.step("slow").orElseThrow().state()).isEqualTo(JobState.CANCELLED);
        assertThat(done.step("b").orElseThrow().state()).isEqualTo(JobState.CANCELLED);
        assertThat(undone).containsExactly("undo-a of a a done a");
        assertThat(client.workflows().retry(id)).as("a saga is not run again").isZero();
    }

    @Test
    void retentionDeletesAStepsCompensationWithTheStep() throws Exception {
        failing.add("b");
        long id = client.workflows().enqueue(chain("old")).workflowId();
        client.workflows().await(id, LONG_WAIT);
        db.execute("update pgjobs.jobs set finished_at = finished_at - interval '30 days'");
        MaintenanceStore maintenance = new MaintenanceStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
                "pgjobs_results_pgjobs");

        assertThat(maintenance.deleteFinishedJobs(List.of("completed", "discarded", "cancelled"), Duration.ofDays(1),
                100, Duration.ofMinutes(1))).as("a, b, c and a's compensation").isEqualTo(4);

        assertThat(db.queryLong("select count(*) from pgjobs.saga_compensations")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.workflows")).isZero();
    }

    @Test
    void aSagaEnqueuedInARolledBackTransactionLeavesNothing() throws Exception {
        try (Connection connection = db.connect()) {
            connection.setAutoCommit(false);
            assertThat(client.workflows().enqueue(connection, chain("rolled back")).jobIds()).hasSize(3);
            connection.rollback();
        }

        assertThat(db.queryLong("select count(*) from pgjobs.workflows")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.saga_compensations")).isZero();
    }

    @Test
    void badSagasAreRefusedNamingTheProblem() {
        assertThatThrownBy(() -> Workflow.builder("plain")
                .compensatedStep("a", JobRequest.of(new Step("a")), JobRequest.of(new Undo("a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("compensation").hasMessageContaining("not a saga");
        assertThatThrownBy(() -> Workflow.saga("s").onFailure(Workflow.OnFailure.RUN_DEPENDANTS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("onFailure");
        assertThatThrownBy(() -> Workflow.saga("s").compensatedStep("a", JobRequest.of(new Step("a")),
                JobRequest.of(new Undo("a")).delay(Duration.ofSeconds(1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("compensation");
    }
}
