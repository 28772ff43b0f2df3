package io.pgjobs.dashboard;

import static io.pgjobs.dashboard.DashboardApi.PATH_ID;
import static io.pgjobs.dashboard.DashboardApi.act;
import static io.pgjobs.dashboard.DashboardApi.get;
import static io.pgjobs.dashboard.DashboardApi.instant;
import static io.pgjobs.dashboard.DashboardApi.orNotFound;
import static io.pgjobs.dashboard.DashboardApi.page;
import static io.pgjobs.dashboard.DashboardApi.pathId;

import io.pgjobs.WorkflowStatus;
import io.pgjobs.WorkflowStep;
import io.pgjobs.admin.AdminClient;
import io.pgjobs.admin.BatchFilter;
import io.pgjobs.admin.WorkflowDetail;
import io.pgjobs.admin.WorkflowFilter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The API of the workflow and batch pages (docs/dashboard.md#workflows-and-batches): lists, one workflow with its
 * steps and their edges, the workflow-wide cancel and retry, and the groups a job belongs to.
 */
final class WorkflowRoutes {
    /** The filters of the workflows' and the batches' lists, and a page of them. */
    private static final Set<String> LIST_PARAMS = DashboardApi.union(
            Set.of("state", "name", "createdFrom", "createdTo"), DashboardApi.PAGE_PARAMS);

    private final AdminClient admin;
    private final Redactor redactor;

    WorkflowRoutes(AdminClient admin, Redactor redactor) {
        this.admin = admin;
        this.redactor = redactor;
    }

    List<DashboardApi.Route> routes() {
        return List.of(
                get("workflows", LIST_PARAMS, c -> {
                    var page = admin.workflows(new WorkflowFilter(
                            state("state", c.param().apply("state"), WorkflowStatus.State.class),
                            c.param().apply("name"), instant(c.param(), "createdFrom"),
                            instant(c.param(), "createdTo")), page(c.param()));
                    return Map.of("workflows", page.workflows(),
                            "nextBefore", page.nextBeforeId() == null ? "" : page.nextBeforeId(),
                            "partial", page.partial());
                }),
                get("workflows/counts", c -> Map.of("states", admin.workflowCounts(),
                        "window", AdminClient.WORKFLOW_SCAN)),
                get("workflows/" + PATH_ID, c -> {
                    long id = pathId(c, "workflow");
                    return view(admin.workflow(id).orElseThrow(() -> DashboardApi.notFound("id", "workflow", id)));
                }),
                act("workflows/" + PATH_ID + "/(cancel|retry)", c -> {
                    long id = pathId(c, "workflow");
                    int steps = orNotFound("id", "workflow", id, () -> c.path().group(2).equals("cancel")
                            ? admin.cancelWorkflow(c.user().name(), id) : admin.retryWorkflow(c.user().name(), id));
                    return Map.of("workflow", id, "steps", steps);
                }),
                get("batches", LIST_PARAMS, c -> {
                    var page = admin.batches(new BatchFilter(
                            state("state", c.param().apply("state"), BatchFilter.BatchState.class),
                            c.param().apply("name"), instant(c.param(), "createdFrom"),
                            instant(c.param(), "createdTo")), page(c.param()));
                    return Map.of("batches", page.batches(),
                            "nextBefore", page.nextBeforeId() == null ? "" : page.nextBeforeId());
                }),
                get("jobs/" + PATH_ID + "/groups", c -> {
                    long id = pathId(c, "job");
                    return admin.jobGroups(id).orElseThrow(() -> DashboardApi.notFound("id", "job", id));
                }));
    }

    /**
     * A workflow as the page draws it: its state (and a saga's own), and each step with its job, how it ran, the
     * names of the steps it depends on (the edges), its last error, redacted, and a saga step's compensation.
     * Results stay on the job pages.
     */
    private Map<String, Object> view(WorkflowDetail detail) {
        WorkflowStatus workflow = detail.workflow();
        Map<String, WorkflowStep> steps = workflow.steps().stream()
                .collect(Collectors.toMap(WorkflowStep::name, Function.identity()));
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", workflow.id());
        view.put("name", workflow.name());
        view.put("onFailure", workflow.onFailure().dbName());
        view.put("state", detail.state().name().toLowerCase(Locale.ROOT));
        view.put("sagaState", workflow.sagaState() == null ? null : workflow.sagaState().name().toLowerCase(Locale.ROOT));
        view.put("createdAt", detail.createdAt());
        view.put("steps", detail.runs().stream().map(run -> {
            WorkflowStep step = steps.get(run.step());
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", run.step());
            s.put("jobId", run.jobId());
            s.put("kind", run.kind());
            s.put("queue", run.queue());
            s.put("state", run.state().dbName());
            s.put("attempt", run.attempt());
            s.put("maxAttempts", run.maxAttempts());
            s.put("startedAt", run.startedAt());
            s.put("finishedAt", run.finishedAt());
            s.put("durationMs", run.durationMs());
            s.put("dependsOn", step == null ? List.of() : step.dependsOn());
            s.put("lastError", redactor.redact(step == null ? null : step.lastError()));
            s.put("compensation", step == null || step.compensation() == null ? null : compensation(step.compensation()));
            return s;
        }).toList());
        return view;
    }

    /** A saga step's compensation: its kind, and once it is due its job's id and state. */
    private static Map<String, Object> compensation(WorkflowStep.Compensation compensation) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("kind", compensation.kind());
        view.put("jobId", compensation.jobId());
        view.put("state", compensation.state() == null ? null : compensation.state().dbName());
        return view;
    }

    /** An enum from a query parameter by its name in any case; blank is none. */
    private static <E extends Enum<E>> E state(String field, String value, Class<E> type) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": must be one of " + Arrays.stream(type.getEnumConstants())
                    .map(s -> s.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "))
                    + ", got " + Excerpt.of(value), e);
        }
    }
}
