package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.EnqueuedWorkflow;
import io.pgjobs.Workflow;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A workflow's retry counts each step's parents that have not completed in one join grouped by step, aggregated
 * once for all the steps it takes back. A retry follows a failure closely, often before autovacuum analyzed the
 * workflow's rows, and planned for the one step such statistics promise, a subquery per step (or a grouped
 * subquery joined to the steps) is aggregated again for every step: minutes for 10,000 steps (docs/workflows.md,
 * "Limits and costs"). The rows here are fresh, as after a failure, and the plan is read as it ran.
 */
class WorkflowRetryPlanTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final int MIDDLE = 2_000;

    private final WorkflowStore store = new WorkflowStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
            "pgjobs_results_pgjobs", Duration.ofSeconds(30));

    @Test
    void theRetryCountsTheParentsOnceForAllStepsOnRowsNeverAnalyzed() throws Exception {
        long workflow = failedFanOutFanIn().workflowId();
        String sql = store.retrySql;
        for (int n = 1; sql.contains("?"); n++) {
            sql = sql.replaceFirst("\\?", "\\$" + n);
        }
        List<String> plan = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("prepare retry_workflow as " + sql);
            c.setAutoCommit(false);
            try (ResultSet rs = s.executeQuery("explain (analyze, costs off, timing off) execute retry_workflow(%d, 'c')"
                    .formatted(workflow))) {
                while (rs.next()) {
                    plan.add(rs.getString(1));
                }
            }
            c.rollback();
        }
        assertThat(plan).as("the retry's plan, run").anyMatch(line -> line.contains("Update on jobs"))
                .noneMatch(line -> line.contains("SubPlan"))
                .noneMatch(line -> line.contains("Aggregate") && !line.contains("loops=1)"));
    }

    @Test
    void theRetryCountsEachTakenBackStepsParentsThatHaveNotCompleted() throws Exception {
        EnqueuedWorkflow enqueued = failedFanOutFanIn();

        assertThat(store.retry(enqueued.workflowId())).as("the discarded half and the cancelled fan-in")
                .isEqualTo(MIDDLE / 2 + 1);

        long fanIn = enqueued.jobIds().get("fan-in");
        assertThat(db.queryLong("select dependencies_left from pgjobs.jobs where id = " + fanIn + " and state = 'pending'"))
                .as("the fan-in waits for the parents taken back").isEqualTo(MIDDLE / 2);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where workflow_id = " + enqueued.workflowId()
                + " and step_name like 'step %' and state = 'available' and dependencies_left = 0"))
                .as("the discarded steps, their root completed").isEqualTo(MIDDLE / 2);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where workflow_id = " + enqueued.workflowId()
                + " and state = 'completed'")).as("the root and the completed half, left as they were")
                .isEqualTo(1 + MIDDLE / 2);
    }

    /**
     * A root, {@value #MIDDLE} steps after it and a fan-in after them all: the root and the even steps completed,
     * the odd ones discarded, the fan-in cancelled, as a failure would leave them.
     */
    private EnqueuedWorkflow failedFanOutFanIn() throws Exception {
        List<WorkflowStore.NewStep> steps = new ArrayList<>();
        steps.add(new WorkflowStore.NewStep("root", job(), List.of(), null));
        List<String> middle = new ArrayList<>();
        for (int i = 0; i < MIDDLE; i++) {
            middle.add("step " + i);
            steps.add(new WorkflowStore.NewStep("step " + i, job(), List.of("root"), null));
        }
        steps.add(new WorkflowStore.NewStep("fan-in", job(), middle, null));
        EnqueuedWorkflow enqueued;
        try (Connection c = db.connect()) {
            enqueued = store.insert(c, "fan-out fan-in", Workflow.OnFailure.CANCEL_DEPENDANTS, false, steps);
        }
        long id = enqueued.workflowId();
        // by hand, with the triggers off: the states a failure leaves, not a release of them
        db.execute("""
                begin;
                set local session_replication_role = replica;
                update pgjobs.jobs set state = 'completed', finished_at = now(), dependencies_left = 0
                where workflow_id = %1$d and (step_name = 'root' or (step_name like 'step %%'
                                                                     and split_part(step_name, ' ', 2)::int %% 2 = 0));
                update pgjobs.jobs set state = 'discarded', finished_at = now(), dependencies_left = 0
                where workflow_id = %1$d and step_name like 'step %%' and split_part(step_name, ' ', 2)::int %% 2 = 1;
                update pgjobs.jobs set state = 'cancelled', finished_at = now(), dependencies_left = null
                where workflow_id = %1$d and step_name = 'fan-in';
                commit;
                """.formatted(id));
        return enqueued;
    }

    private static NewJob job() {
        return new NewJob("k", "q", 5, null, 0, 20, "{}", null, List.of(), "{}");
    }
}
