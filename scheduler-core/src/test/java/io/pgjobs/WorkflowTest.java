package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.internal.store.MaintenanceStore;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Workflows against the database: each step runs once, after the steps it depends on, and reads their results;
 * a failure cancels exactly the steps downstream of it, or lets them run with the failure visible; a retry runs
 * again only what failed; a rolled-back enqueue leaves nothing.
 */
class WorkflowTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    private static final Duration LONG_WAIT = Duration.ofMinutes(5);

    /** A step: it returns its name followed by what its parents returned, in step order. */
    @JobKind("test.step")
    record Step(String name) {}

    /**
     * A fan-in: returns how many parents it has, how many of them completed, and how many returned what a
     * {@link Step} after the root returns (its name, then the root's result).
     */
    @JobKind("test.gather")
    record Gather(String name) {}

    /** The steps that fail (for good) while they are in here. */
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    /** How many times each step's handler ran, by name. */
    private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    /** What each step saw of its parents' states, by name. */
    private final Map<String, Map<String, JobState>> parentStates = new ConcurrentHashMap<>();
    private JobClient client;

    @BeforeEach
    void setUp() {
        Scheduler scheduler = schedulers.start(Scheduler.builder(db.dataSource()).queue("default", 8)
                .handler(Step.class, ctx -> {
                    String name = ctx.args().name();
                    runs.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
                    parentStates.put(name, ctx.parents().stream()
                            .collect(Collectors.toMap(WorkflowStep::name, WorkflowStep::state)));
                    if (failing.contains(name)) {
                        throw new NonRetryableException("step " + name + " fails");
                    }
                    StringBuilder result = new StringBuilder(name);
                    for (WorkflowStep parent : ctx.parents()) {
                        result.append('[').append(ctx.parentResult(parent.name(), String.class)).append(']');
                    }
                    return result.toString();
                })
                .handler(Gather.class, ctx -> {
                    runs.computeIfAbsent(ctx.args().name(), k -> new AtomicInteger()).incrementAndGet();
                    long completed = ctx.parents().stream().filter(p -> p.state() == JobState.COMPLETED).count();
                    long resultsRead = ctx.parents().stream()
                            .filter(p -> ("\"" + p.name() + "[root]\"").equals(p.result())).count();
                    return ctx.parents().size() + "/" + completed + "/" + resultsRead;
                }));
        client = scheduler.client();
    }

    private static JobRequest step(String name) {
        return JobRequest.of(new Step(name));
    }

    @Test
    void aDiamondRunsEachStepOnceAfterItsParentsAndPassesTheirResults() throws Exception {
        Workflow diamond = Workflow.builder("diamond")
                .step("a", step("a"))
                .step("b", step("b"), "a")
                .step("c", step("c"), "a")
                .step("d", step("d"), "b", "c")
                .build();

        EnqueuedWorkflow enqueued = client.workflows().enqueue(diamond);
        WorkflowStatus done = client.workflows().await(enqueued.workflowId(), LONG_WAIT);

        assertThat(done.state()).isEqualTo(WorkflowStatus.State.COMPLETED);
        assertThat(done.step("d").orElseThrow().result()).isEqualTo("\"d[b[a]][c[a]]\"");
        assertThat(done.step("d").orElseThrow().dependsOn()).containsExactly("b", "c");
        assertThat(runs).containsOnlyKeys("a", "b", "c", "d");
        runs.values().forEach(n -> assertThat(n).hasValue(1));
        assertThat(db.queryLong("select count(*) from pgjobs.attempts")).isEqualTo(4);
    }

    /**
     * The width of the wide fan-out/fan-in: issue 20's proof is 10,000 steps ({@code -Dpgjobs.test.fanOutWidth=N}
     * changes it).
     */
    private static final int FAN_OUT_WIDTH = Integer.getInteger("pgjobs.test.fanOutWidth", 10_000);

    @Test
    void aWideFanOutAndFanInRunsEachStepOnce() throws Exception {
        int width = FAN_OUT_WIDTH;
        Workflow.Builder builder = Workflow.builder("fan").step("root", step("root"));
        String[] middle = new String[width];
        for (int i = 0; i < width; i++) {
            middle[i] = "m" + i;
            builder.step(middle[i], step(middle[i]), "root");
        }
        builder.step("gather", JobRequest.of(new Gather("gather")), middle);

        long id = client.workflows().enqueue(builder.build()).workflowId();
        WorkflowStatus done = client.workflows().await(id, LONG_WAIT);

        assertThat(done.state()).isEqualTo(WorkflowStatus.State.COMPLETED);
        assertThat(done.step("gather").orElseThrow().result()).as("parents, completed, results read")
                .isEqualTo("\"" + width + "/" + width + "/" + width + "\"");
        assertThat(db.queryLong("""
                select count(*) from pgjobs.jobs m, pgjobs.jobs g
                where m.workflow_id = %1$d and g.workflow_id = %1$d and g.step_name = 'gather'
                  and m.step_name <> 'gather' and m.finished_at > g.started_at""".formatted(id)))
                .as("steps that finished after the fan-in started").isZero();
        assertThat(runs).hasSize(width + 2);
        runs.values().forEach(n -> assertThat(n).hasValue(1));
        assertThat(db.queryLong("select count(*) from pgjobs.attempts")).isEqualTo(width + 2);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where result_awaited"))
                .as("the await waited for the fan-in step, not for each of the steps before it").isLessThanOrEqualTo(1);
    }

    /** a → b, c; b → d; c → e; b, c → f. */
    private static Workflow.Builder twoBranches(String name) {
        return Workflow.builder(name)
                .step("a", step("a"))
                .step("b", step("b"), "a")
                .step("c", step("c"), "a")
                .step("d", step("d"), "b")
                .step("e", step("e"), "c")
                .step("f", step("f"), "b", "c");
    }

    private static Map<String, JobState> states(WorkflowStatus status) {
        return status.steps().stream().collect(Collectors.toMap(WorkflowStep::name, WorkflowStep::state,
                (x, y) -> x, TreeMap::new));
    }

    @Test
    void aFailedStepCancelsExactlyTheStepsDownstreamOfIt() throws Exception {
        failing.add("b");

        long id = client.workflows().enqueue(twoBranches("cancel").build()).workflowId();
        WorkflowStatus done = client.workflows().await(id, LONG_WAIT);

        assertThat(done.state()).isEqualTo(WorkflowStatus.State.FAILED);
        assertThat(states(done)).containsExactlyEntriesOf(new TreeMap<>(Map.of(
                "a", JobState.COMPLETED, "b", JobState.DISCARDED, "c", JobState.COMPLETED,
                "d", JobState.CANCELLED, "e", JobState.COMPLETED, "f", JobState.CANCELLED)));
        assertThat(done.step("d").orElseThrow().lastError()).contains("step 'b'").contains("discarded");
        assertThat(runs).containsOnlyKeys("a", "b", "c", "e");
    }

    @Test
    void aRetryRunsAgainOnlyFromTheFailedStep() throws Exception {
        failing.add("b");
        long id = client.workflows().enqueue(twoBranches("retry").build()).workflowId();
        assertThat(client.workflows().await(id, LONG_WAIT).state()).isEqualTo(WorkflowStatus.State.FAILED);

        failing.clear();
        assertThat(client.workflows().retry(id)).as("steps taken back: b, d, f").isEqualTo(3);
        WorkflowStatus done = client.workflows().await(id, LONG_WAIT);

        assertThat(done.state()).isEqualTo(WorkflowStatus.State.COMPLETED);
        assertThat(done.step("f").orElseThrow().result()).isEqualTo("\"f[b[a]][c[a]]\"");
        assertThat(runs.get("b")).hasValue(2);
        for (String once : new String[] {"a", "c", "d", "e", "f"}) {
            assertThat(runs.get(once)).as(once).hasValue(1);
        }
        assertThat(client.workflows().retry(id)).as("nothing left to retry").isZero();
    }

    @Test
    void dependantsOfAFailedStepRunAndSeeTheFailureWhenTheWorkflowSaysSo() throws Exception {
        failing.add("b");

        long id = client.workflows().enqueue(twoBranches("run")
                .onFailure(Workflow.OnFailure.RUN_DEPENDANTS).build()).workflowId();
        WorkflowStatus done = client.workflows().await(id, LONG_WAIT);

        assertThat(done.state()).isEqualTo(WorkflowStatus.State.FAILED);
        assertThat(states(done)).containsEntry("b", JobState.DISCARDED).containsEntry("d", JobState.COMPLETED)
                .containsEntry("f", JobState.COMPLETED);
        assertThat(parentStates.get("f")).containsExactlyInAnyOrderEntriesOf(
                Map.of("b", JobState.DISCARDED, "c", JobState.COMPLETED));
        assertThat(done.step("f").orElseThrow().result()).as("a failed parent's result is null")
                .isEqualTo("\"f[null][c[a]]\"");
    }

    @Test
    void aWorkflowEnqueuedInARolledBackTransactionLeavesNothing() throws Exception {
        try (Connection connection = db.connect()) {
            connection.setAutoCommit(false);
            EnqueuedWorkflow enqueued = client.workflows().enqueue(connection, twoBranches("rolled back").build());
            assertThat(enqueued.jobIds()).hasSize(6);
            connection.rollback();
        }

        assertThat(db.queryLong("select count(*) from pgjobs.workflows")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.job_dependencies")).isZero();
    }

    @Test
    void cancellingAWorkflowCancelsEveryStepThatHasNotFinished() throws Exception {
        Workflow later = Workflow.builder("later")
                .step("a", step("a").runAt(java.time.Instant.now().plus(Duration.ofDays(1))))
                .step("b", step("b"), "a")
                .build();
        EnqueuedWorkflow enqueued = client.workflows().enqueue(later);
        long id = enqueued.workflowId();
        assertThat(client.retry(enqueued.jobIds().get("b"))).as("a pending step waits for its dependency").isFalse();

        assertThat(client.workflows().cancel(id)).isEqualTo(2);

        WorkflowStatus done = client.workflows().await(id, LONG_WAIT);
        assertThat(states(done)).containsExactlyEntriesOf(new TreeMap<>(Map.of(
                "a", JobState.CANCELLED, "b", JobState.CANCELLED)));
    }

    @Test
    void retentionDeletesAFinishedWorkflowWithItsStepsAndTheirDependencies() throws Exception {
        long id = client.workflows().enqueue(twoBranches("old").build()).workflowId();
        client.workflows().await(id, LONG_WAIT);
        db.execute("update pgjobs.jobs set finished_at = finished_at - interval '2 days'");
        MaintenanceStore maintenance = new MaintenanceStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
                "pgjobs_results_pgjobs");

        assertThat(maintenance.deleteFinishedJobs(List.of("completed"), Duration.ofDays(1), 4, Duration.ofMinutes(1)))
                .isEqualTo(4);
        assertThat(client.workflows().get(id)).as("two steps left").hasValueSatisfying(w -> assertThat(w.steps())
                .hasSize(2));
        assertThat(maintenance.deleteFinishedJobs(List.of("completed"), Duration.ofDays(1), 4, Duration.ofMinutes(1)))
                .isEqualTo(2);

        assertThat(client.workflows().get(id)).isEmpty();
        assertThat(db.queryLong("select count(*) from pgjobs.workflows")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.job_dependencies")).isZero();
    }

    @Test
    void aBadWorkflowIsRefusedNamingTheProblem() {
        assertThatThrownBy(() -> Workflow.builder("bad").step("a", step("a"), "z"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'z', which is not a step added before it");
        assertThatThrownBy(() -> Workflow.builder("bad").step("a", step("a")).step("a", step("a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already has a step 'a'");
        assertThatThrownBy(() -> Workflow.builder("bad").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no steps");
        assertThatThrownBy(() -> client.workflows().await(424242, LONG_WAIT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no workflow 424242");
    }
}
