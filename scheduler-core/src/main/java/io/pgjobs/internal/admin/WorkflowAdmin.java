package io.pgjobs.internal.admin;

import io.pgjobs.JobClient;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.admin.BatchFilter;
import io.pgjobs.admin.BatchPage;
import io.pgjobs.admin.JobGroups;
import io.pgjobs.admin.NotFoundException;
import io.pgjobs.admin.PageRequest;
import io.pgjobs.admin.WorkflowDetail;
import io.pgjobs.admin.WorkflowFilter;
import io.pgjobs.admin.WorkflowPage;
import io.pgjobs.internal.store.AdminStore;
import io.pgjobs.internal.store.AdminStore.Audit;
import io.pgjobs.internal.store.Sql;
import io.pgjobs.internal.store.WorkflowStore;
import io.pgjobs.internal.store.WorkflowViewStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;

/**
 * The workflows and batches part of the {@link io.pgjobs.admin.AdminClient}: lists, one workflow with how its
 * steps ran, and the workflow-wide cancel and retry of {@link io.pgjobs.WorkflowClient}, each in one transaction
 * with its audit entry.
 */
public final class WorkflowAdmin {
    private final WorkflowViewStore views;
    private final WorkflowStore workflows;
    private final AdminStore admin;
    private final JobClient client;

    public WorkflowAdmin(WorkflowViewStore views, WorkflowStore workflows, AdminStore admin, JobClient client) {
        this.views = views;
        this.workflows = workflows;
        this.admin = admin;
        this.client = client;
    }

    WorkflowPage workflows(WorkflowFilter filter, PageRequest page, int window) {
        WorkflowViewStore.Scan scan = Sql.call("list workflows", () -> views.workflows(filter, page, window));
        if (scan.workflows().size() == page.limit()) {
            return new WorkflowPage(scan.workflows(), scan.workflows().getLast().id(), false);
        }
        // the window ran out before the page filled: older workflows may still match
        return scan.windowFull() ? new WorkflowPage(scan.workflows(), scan.oldestScanned(), true)
                : new WorkflowPage(scan.workflows(), null, false);
    }

    Map<WorkflowStatus.State, Integer> workflowCounts(int window) {
        return Sql.call("count workflows per state", () -> views.stateCounts(window));
    }

    /**
     * The client's read model and the steps' runs, read one after the other: a step that moved in between shows
     * its newer state in one of them, as any two reads of a running workflow would.
     */
    Optional<WorkflowDetail> workflow(long id) {
        Optional<WorkflowViewStore.Runs> runs = Sql.call("read workflow " + id, () -> views.runs(id));
        Optional<WorkflowStatus> status = client.workflows().get(id);
        if (runs.isEmpty() || status.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new WorkflowDetail(status.get(), status.get().state(), runs.get().createdAt(),
                runs.get().steps()));
    }

    BatchPage batches(BatchFilter filter, PageRequest page) {
        return Sql.call("list batches", () -> views.batches(filter, page));
    }

    Optional<JobGroups> groups(long jobId) {
        return Sql.call("read the workflow and batch of job " + jobId, () -> views.groups(jobId));
    }

    int cancel(String actor, long id) {
        return act(actor, id, "cancel_workflow", workflows::cancel);
    }

    int retry(String actor, long id) {
        return act(actor, id, "retry_workflow", workflows::retry);
    }

    private interface StepsAction {
        int apply(Connection connection, long id) throws SQLException;
    }

    /** Applies {@code action} to workflow {@code id} and audits how many steps it changed, in one transaction. */
    private int act(String actor, long id, String auditAction, StepsAction action) {
        DefaultAdminClient.requireActor(actor);
        if (client.workflows().get(id).isEmpty()) {
            throw new NotFoundException("id: no workflow " + id);
        }
        return Sql.call(auditAction.replace('_', ' ') + " " + id, () -> admin.audited(
                connection -> action.apply(connection, id),
                steps -> Optional.of(new Audit(actor, auditAction, "workflow:" + id,
                        DefaultAdminClient.json(Map.of("steps", steps))))));
    }
}
