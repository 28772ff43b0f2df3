package io.pgjobs.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.Batch;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.NonRetryableException;
import io.pgjobs.Scheduler;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator API of workflows and batches against the database: lists filtered by state, name and creation
 * time and paged by id; one workflow with its steps' runs and edges; the workflow-wide cancel and retry, audited
 * with the actor; batches with their counts and callbacks; the groups of a job.
 */
class WorkflowAdminTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    private static final Duration LONG_WAIT = Duration.ofMinutes(2);

    @JobKind("test.wf-step")
    record Step(String name) {}

    /** The steps that fail for good while they are in here. */
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private Scheduler scheduler;
    private AdminClient admin;

    @BeforeEach
    void setUp() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.workflows, pgjobs.job_dependencies, pgjobs.batches, pgjobs.audit_log,"
                + " pgjobs.attempts");
        scheduler = schedulers.build(Scheduler.builder(db.dataSource()).queue("default", 4)
                .handler(Step.class, ctx -> {
                    if (failing.contains(ctx.args().name())) {
                        throw new NonRetryableException("step " + ctx.args().name() + " fails");
                    }
                    return ctx.args().name();
                }));
        admin = scheduler.admin();
    }

    /** a → b, c → d. */
    private static Workflow diamond(String name) {
        return Workflow.builder(name)
                .step("a", JobRequest.of(new Step("a")))
                .step("b", JobRequest.of(new Step("b")), "a")
                .step("c", JobRequest.of(new Step("c")), "a")
                .step("d", JobRequest.of(new Step("d")), "b", "c")
                .build();
    }

    @Test
    void aWorkflowShowsItsStepsRunsAndEdgesAndIsRetriedFromItsFailureWithAnAuditEntry() throws Exception {
        failing.add("b");
        scheduler.start();
        long id = scheduler.client().workflows().enqueue(diamond("order-1")).workflowId();
        scheduler.client().workflows().await(id, LONG_WAIT);

        WorkflowDetail failed = admin.workflow(id).orElseThrow();
        assertThat(failed.state()).isEqualTo(WorkflowStatus.State.FAILED);
        assertThat(failed.workflow().name()).isEqualTo("order-1");
        assertThat(failed.workflow().onFailure()).isEqualTo(Workflow.OnFailure.CANCEL_DEPENDANTS);
        assertThat(failed.createdAt()).isNotNull();
        assertThat(failed.runs()).extracting(WorkflowDetail.StepRun::step).containsExactly("a", "b", "c", "d");
        Map<String, WorkflowDetail.StepRun> runs = failed.runs().stream()
                .collect(Collectors.toMap(WorkflowDetail.StepRun::step, r -> r));
        assertThat(runs.get("a").state()).isEqualTo(JobState.COMPLETED);
        assertThat(runs.get("a").attempt()).isEqualTo(1);
        assertThat(runs.get("a").kind()).isEqualTo("test.wf-step");
        assertThat(runs.get("a").durationMs()).isNotNull().isGreaterThanOrEqualTo(0);
        assertThat(runs.get("a").finishedAt()).isAfterOrEqualTo(runs.get("a").startedAt());
        assertThat(runs.get("b").state()).isEqualTo(JobState.DISCARDED);
        assertThat(runs.get("d").state()).isEqualTo(JobState.CANCELLED);
        assertThat(runs.get("d").startedAt()).as("cancelled before it ran").isNull();
        assertThat(runs.get("d").durationMs()).isNull();
        assertThat(failed.workflow().step("d").orElseThrow().dependsOn()).containsExactly("b", "c");
        assertThat(failed.workflow().steps()).extracting(s -> s.jobId())
                .containsExactlyElementsOf(failed.runs().stream().map(WorkflowDetail.StepRun::jobId).toList());

        failing.clear();
        assertThat(admin.retryWorkflow("alice", id)).as("b, and d which it cancelled").isEqualTo(2);
        WorkflowStatus retried = scheduler.client().workflows().await(id, LONG_WAIT);
        assertThat(retried.state()).isEqualTo(WorkflowStatus.State.COMPLETED);
        assertThat(admin.workflow(id).orElseThrow().runs()).filteredOn(r -> r.step().equals("b"))
                .singleElement().extracting(WorkflowDetail.StepRun::attempt).isEqualTo(2);

        AuditEntry entry = admin.audit(PageRequest.first(10)).getFirst();
        assertThat(entry.actor()).isEqualTo("alice");
        assertThat(entry.action()).isEqualTo("retry_workflow");
        assertThat(entry.target()).isEqualTo("workflow:" + id);
        assertThat(entry.detail()).isEqualTo("{\"steps\": 2}");
    }

    @Test
    void cancellingAWorkflowCancelsItsUnfinishedStepsAndIsAudited() throws Exception {
        long id = scheduler.client().workflows().enqueue(diamond("to-cancel")).workflowId();

        assertThat(admin.cancelWorkflow("bob", id)).isEqualTo(4);

        assertThat(admin.workflow(id).orElseThrow().runs()).extracting(WorkflowDetail.StepRun::state)
                .containsOnly(JobState.CANCELLED);
        AuditEntry entry = admin.audit(PageRequest.first(10)).getFirst();
        assertThat(List.of(entry.actor(), entry.action(), entry.target()))
                .containsExactly("bob", "cancel_workflow", "workflow:" + id);
        assertThat(admin.retryWorkflow("bob", id)).as("every cancelled step taken back").isEqualTo(4);
    }

    @Test
    void anUnknownWorkflowIsEmptyOrRefusedNamingTheId() {
        assertThat(admin.workflow(424242)).isEmpty();
        assertThatThrownBy(() -> admin.cancelWorkflow("alice", 424242))
                .isInstanceOf(NotFoundException.class).hasMessage("id: no workflow 424242");
        assertThatThrownBy(() -> admin.retryWorkflow("alice", 424242))
                .isInstanceOf(NotFoundException.class).hasMessage("id: no workflow 424242");
        long id = scheduler.client().workflows().enqueue(diamond("x")).workflowId();
        assertThatThrownBy(() -> admin.cancelWorkflow("a\u0000b", id))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("actor:");
    }

    @Test
    void workflowsAreListedNewestFirstByStateNameAndCreationTimeAndPagedById() throws Exception {
        long running = scheduler.client().workflows().enqueue(diamond("import-1")).workflowId();
        long completed = scheduler.client().workflows().enqueue(diamond("import-2")).workflowId();
        long failed = scheduler.client().workflows().enqueue(diamond("export-1")).workflowId();
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where workflow_id = " + completed);
        db.execute("update pgjobs.jobs set state = 'discarded', finished_at = now() where workflow_id = " + failed
                + " and step_name = 'a'");

        assertThat(ids(admin.workflows(WorkflowFilter.ALL, PageRequest.first(50))))
                .containsExactly(failed, completed, running);
        assertThat(ids(admin.workflows(WorkflowFilter.ofState(WorkflowStatus.State.RUNNING), PageRequest.first(50))))
                .containsExactly(running);
        assertThat(ids(admin.workflows(WorkflowFilter.ofState(WorkflowStatus.State.COMPLETED), PageRequest.first(50))))
                .containsExactly(completed);
        assertThat(ids(admin.workflows(WorkflowFilter.ofState(WorkflowStatus.State.FAILED), PageRequest.first(50))))
                .containsExactly(failed);
        assertThat(ids(admin.workflows(new WorkflowFilter(null, "import-", null, null), PageRequest.first(50))))
                .containsExactly(completed, running);
        Instant now = Instant.now();
        assertThat(ids(admin.workflows(new WorkflowFilter(null, null, now.minusSeconds(3600), now.plusSeconds(3600)),
                PageRequest.first(50)))).hasSize(3);
        assertThat(ids(admin.workflows(new WorkflowFilter(null, null, now.plusSeconds(3600), null),
                PageRequest.first(50)))).isEmpty();

        WorkflowPage first = admin.workflows(WorkflowFilter.ALL, PageRequest.first(2));
        assertThat(ids(first)).containsExactly(failed, completed);
        assertThat(first.nextBeforeId()).isEqualTo(completed);
        WorkflowPage second = admin.workflows(WorkflowFilter.ALL, new PageRequest(first.nextBeforeId(), 2));
        assertThat(ids(second)).containsExactly(running);
        assertThat(second.nextBeforeId()).isNull();
        assertThat(second.partial()).isFalse();

        WorkflowSummary failedOne = admin.workflows(WorkflowFilter.ofState(WorkflowStatus.State.FAILED),
                PageRequest.first(1)).workflows().getFirst();
        assertThat(failedOne.name()).isEqualTo("export-1");
        assertThat(failedOne.steps()).containsEntry(JobState.DISCARDED, 1).containsEntry(JobState.CANCELLED, 3);
        assertThat(admin.workflowCounts()).containsEntry(WorkflowStatus.State.RUNNING, 1)
                .containsEntry(WorkflowStatus.State.COMPLETED, 1).containsEntry(WorkflowStatus.State.FAILED, 1);
    }

    @Test
    void badFiltersAreRefusedNamingTheField() {
        assertThatThrownBy(() -> new WorkflowFilter(null, "a\u0000", null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("name:");
        assertThatThrownBy(() -> new BatchFilter(null, "x".repeat(201), null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("name:");
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        assertThatThrownBy(() -> new WorkflowFilter(null, null, t, t))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("createdFrom: must be before createdTo");
        assertThatThrownBy(() -> new BatchFilter(null, null, Instant.parse("0001-01-01T00:00:00Z"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("createdFrom:");
    }

    @Test
    void batchesAreListedWithTheirCountsAndCallbacksAndAJobNamesItsGroups() throws Exception {
        var batches = scheduler.client().batches();
        long open = batches.create(Batch.builder("nightly-open").build());
        long finished = batches.create(Batch.builder("nightly-done")
                .onSuccess(JobRequest.of(new Step("success"))).onComplete(JobRequest.of(new Step("complete"))).build());
        long jobOfBatch = batches.add(finished, List.of(JobRequest.of(new Step("part")))).getFirst().id();
        batches.seal(finished);
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where id = " + jobOfBatch);

        BatchPage all = admin.batches(BatchFilter.ALL, PageRequest.first(50));
        assertThat(all.batches()).extracting(BatchSummary::id).containsExactly(finished, open);
        BatchSummary done = all.batches().getFirst();
        assertThat(done.state()).isEqualTo(BatchFilter.BatchState.FINISHED);
        assertThat(List.of(done.total(), done.completed(), done.discarded(), done.cancelled())).containsExactly(1, 1, 0, 0);
        assertThat(done.onSuccess().kind()).isEqualTo("test.wf-step");
        assertThat(done.onSuccess().jobId()).as("fired").isNotNull();
        assertThat(done.onDiscard()).isNull();
        assertThat(all.batches().get(1).state()).isEqualTo(BatchFilter.BatchState.OPEN);
        assertThat(admin.batches(new BatchFilter(BatchFilter.BatchState.OPEN, null, null, null), PageRequest.first(50))
                .batches()).extracting(BatchSummary::id).containsExactly(open);
        assertThat(admin.batches(new BatchFilter(null, "nightly-d", null, null), PageRequest.first(50))
                .batches()).extracting(BatchSummary::id).containsExactly(finished);
        BatchPage firstPage = admin.batches(BatchFilter.ALL, PageRequest.first(1));
        assertThat(firstPage.nextBeforeId()).isEqualTo(finished);
        assertThat(admin.batches(BatchFilter.ALL, new PageRequest(finished, 1)).batches())
                .extracting(BatchSummary::id).containsExactly(open);

        assertThat(admin.jobGroups(jobOfBatch)).contains(new JobGroups(null, null, finished));
        var enqueued = scheduler.client().workflows().enqueue(diamond("grouped"));
        assertThat(admin.jobGroups(enqueued.jobIds().get("c")))
                .contains(new JobGroups(enqueued.workflowId(), "c", null));
        assertThat(admin.jobGroups(987654321)).isEmpty();
    }

    private static List<Long> ids(WorkflowPage page) {
        return page.workflows().stream().map(WorkflowSummary::id).toList();
    }
}
