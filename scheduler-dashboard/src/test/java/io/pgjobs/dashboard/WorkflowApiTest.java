package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgjobs.Batch;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.Workflow;
import io.pgjobs.dashboard.DashboardFixture.Fixture;
import io.pgjobs.dashboard.HttpCalls.Reply;
import io.pgjobs.testing.PgDatabase;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The workflow and batch endpoints: their shape, the actions (operators only, CSRF-checked, audited), and
 * hostile input answered by a JSON error naming the parameter, never a 500.
 */
class WorkflowApiTest {
    // the scheduler is never started: steps stay where the test puts them
    @RegisterExtension
    static final DashboardFixture dashboard = DashboardFixture.withUsers("/").truncatingBeforeEach(
            "pgjobs.jobs, pgjobs.attempts, pgjobs.audit_log, pgjobs.workflows, pgjobs.job_dependencies,"
                    + " pgjobs.batches");
    @Fixture private static PgDatabase db;
    @Fixture private static Scheduler scheduler;
    @Fixture private static HttpCalls http;

    private static Reply get(String path) throws Exception {
        return http.get(path, "victor", "view-pw");
    }

    private static Reply post(String path) throws Exception {
        return http.post(path, "olga", "op-pw", Map.of());
    }

    private static long diamond(String name) {
        return scheduler.client().workflows().enqueue(Workflow.builder(name)
                .step("a", JobRequest.of("step", Map.of("n", "a")))
                .step("b", JobRequest.of("step", Map.of("n", "b")), "a")
                .step("c", JobRequest.of("step", Map.of("n", "c")), "a")
                .step("d", JobRequest.of("step", Map.of("n", "d")), "b", "c")
                .build()).workflowId();
    }

    @Test
    void aWorkflowComesWithItsStepsEdgesAndRunsAndItsLastErrorsRedacted() throws Exception {
        long id = diamond("order-7");
        db.execute("update pgjobs.jobs set state = 'discarded', attempt = 1, started_at = now() - interval '2 seconds',"
                + " finished_at = now(), last_error = 'refused: password=hunter2' where step_name = 'a'");

        Reply reply = get("api/workflows/" + id);
        assertThat(reply.status()).isEqualTo(200);
        JsonNode workflow = reply.body();
        assertThat(workflow.get("name").asText()).isEqualTo("order-7");
        assertThat(workflow.get("state").asText()).isEqualTo("failed");
        assertThat(workflow.get("onFailure").asText()).isEqualTo("cancel_dependants");
        List<String> steps = new ArrayList<>();
        workflow.get("steps").forEach(s -> steps.add(s.get("name").asText() + ":" + s.get("state").asText()
                + "<" + s.get("dependsOn")));
        assertThat(steps).containsExactly("a:discarded<[]", "b:cancelled<[\"a\"]", "c:cancelled<[\"a\"]",
                "d:cancelled<[\"b\",\"c\"]");
        JsonNode a = workflow.get("steps").get(0);
        assertThat(a.get("jobId").asLong()).isPositive();
        assertThat(a.get("attempt").asInt()).isEqualTo(1);
        assertThat(a.get("durationMs").asLong()).isBetween(1000L, 60_000L);
        assertThat(a.get("lastError").asText()).doesNotContain("hunter2").contains(Redactor.REDACTED);
        assertThat(get("api/jobs/" + a.get("jobId").asLong() + "/groups").body().get("workflowId").asLong())
                .isEqualTo(id);
    }

    @Test
    void theListFiltersByStateAndNameAndCountsWorkflowsByState() throws Exception {
        long running = diamond("import-1");
        long done = diamond("import-2");
        diamond("export-1");
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where workflow_id = " + done);

        JsonNode page = get("api/workflows?name=import&limit=1").body();
        assertThat(page.get("workflows")).extracting(w -> w.get("id").asLong()).containsExactly(done);
        assertThat(page.get("workflows").get(0).get("steps").get("COMPLETED").asInt()).isEqualTo(4);
        assertThat(page.get("nextBefore").asLong()).isEqualTo(done);
        JsonNode older = get("api/workflows?name=import&limit=1&before=" + done).body();
        assertThat(older.get("workflows")).extracting(w -> w.get("id").asLong()).containsExactly(running);
        assertThat(get("api/workflows?state=completed").body().get("workflows"))
                .extracting(w -> w.get("id").asLong()).containsExactly(done);
        JsonNode counts = get("api/workflows/counts").body();
        assertThat(counts.get("states").get("RUNNING").asInt()).isEqualTo(2);
        assertThat(counts.get("states").get("COMPLETED").asInt()).isEqualTo(1);
    }

    @Test
    void cancelAndRetryAreOperatorActionsCsrfCheckedAndAudited() throws Exception {
        long id = diamond("to-cancel");

        assertThat(http.post("api/workflows/" + id + "/cancel", "victor", "view-pw", Map.of()).status())
                .isEqualTo(403);
        assertThat(http.send(http.request("api/workflows/" + id + "/cancel", "olga", "op-pw")
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build()).status())
                .as("no CSRF token").isEqualTo(403);
        assertThat(get("api/workflows/" + id).body().get("state").asText()).isEqualTo("running");

        Reply cancelled = post("api/workflows/" + id + "/cancel");
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.body().get("steps").asInt()).isEqualTo(4);
        assertThat(get("api/workflows/" + id).body().get("state").asText()).isEqualTo("failed");
        assertThat(post("api/workflows/" + id + "/retry").body().get("steps").asInt()).isEqualTo(4);

        List<String> audit = new ArrayList<>();
        get("api/audit").body().forEach(e -> audit.add(e.get("actor").asText() + " " + e.get("action").asText()
                + " " + e.get("target").asText()));
        assertThat(audit).containsExactly("olga retry_workflow workflow:" + id, "olga cancel_workflow workflow:" + id);
    }

    @Test
    void aSagaComesWithItsSagaStateAndEachStepsCompensation() throws Exception {
        long id = scheduler.client().workflows().enqueue(Workflow.saga("trip-1")
                .compensatedStep("flight", JobRequest.of("book", Map.of("n", 1)), JobRequest.of("unbook", Map.of("n", 1)))
                .compensatedStep("hotel", JobRequest.of("book", Map.of("n", 2)), JobRequest.of("unbook", Map.of("n", 2)),
                        "flight")
                .build()).workflowId();
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where step_name = 'flight'");
        db.execute("update pgjobs.jobs set state = 'discarded', finished_at = now() where step_name = 'hotel'");

        JsonNode saga = get("api/workflows/" + id).body();
        assertThat(saga.get("sagaState").asText()).isEqualTo("compensating");
        assertThat(saga.get("state").asText()).isEqualTo("running");
        JsonNode flight = saga.get("steps").get(0).get("compensation");
        assertThat(flight.get("kind").asText()).isEqualTo("unbook");
        assertThat(flight.get("jobId").asLong()).as("due: the completed step is undone").isPositive();
        assertThat(flight.get("state").asText()).isEqualTo("available");
        assertThat(saga.get("steps").get(1).get("compensation").get("jobId").isNull()).as("never ran").isTrue();
        assertThat(get("api/workflows?state=running").body().get("workflows"))
                .extracting(w -> w.get("id").asLong()).containsExactly(id);
        assertThat(get("api/workflows?state=failed").body().get("workflows")).isEmpty();
    }

    @Test
    void batchesComeWithTheirCountsAndCallbacks() throws Exception {
        long batch = scheduler.client().batches().create(Batch.builder("nightly")
                .onComplete(JobRequest.of("report", Map.of())).build());
        scheduler.client().batches().add(batch, List.of(JobRequest.of("part", Map.of())));

        JsonNode batches = get("api/batches?state=open").body().get("batches");
        assertThat(batches).hasSize(1);
        JsonNode b = batches.get(0);
        assertThat(b.get("name").asText()).isEqualTo("nightly");
        assertThat(b.get("state").asText()).isEqualTo("OPEN");
        assertThat(b.get("total").asInt()).isEqualTo(1);
        assertThat(b.get("onComplete").get("kind").asText()).isEqualTo("report");
        assertThat(b.get("onComplete").get("jobId").isNull()).isTrue();
        assertThat(b.get("onSuccess").isNull()).isTrue();
        assertThat(get("api/batches?state=finished").body().get("batches")).isEmpty();
    }

    @Test
    void hostileInputGetsAJsonErrorNamingTheParameter() throws Exception {
        Map<String, String> expected = Map.of(
                "api/workflows?state=" + enc("bogus"), "state: must be one of running, completed, failed",
                "api/workflows?name=" + enc("a\u0000b"), "name:",
                "api/workflows?name=" + "x".repeat(300), "name:",
                "api/workflows?createdFrom=yesterday", "createdFrom:",
                "api/workflows?createdFrom=2026-02-01T00:00:00Z&createdTo=2026-01-01T00:00:00Z", "createdFrom:",
                "api/workflows?limit=100000", "limit:",
                "api/workflows?before=-5", "before:",
                "api/batches?state=" + enc("'; drop table pgjobs.jobs; --"), "state: must be one of open, running, finished",
                "api/batches?createdTo=" + enc("99999-01-01T00:00:00Z"), "createdTo:",
                "api/workflows/99999999999999999999999", "id:");
        for (var request : expected.entrySet()) {
            Reply reply = get(request.getKey());
            assertThat(reply.status()).as(request.getKey()).isEqualTo(400);
            assertThat(reply.body().get("error").asText()).as(request.getKey()).startsWith(request.getValue());
        }
        assertThat(get("api/workflows/424242").status()).isEqualTo(404);
        assertThat(get("api/workflows/424242").body().get("error").asText()).isEqualTo("id: no workflow 424242");
        assertThat(get("api/jobs/424242/groups").status()).isEqualTo(404);
        Reply unknown = post("api/workflows/424242/retry");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body().get("error").asText()).isEqualTo("id: no workflow 424242");
        assertThat(http.get("api/workflows/1/cancel", "olga", "op-pw").status()).isEqualTo(405);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isZero();
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
