package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.dashboard.DashboardFixture.Fixture;
import io.pgjobs.dashboard.HttpCalls.Reply;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/** Every endpoint over real HTTP, as each role, with and without the CSRF token. */
class DashboardApiTest {
    @RegisterExtension
    static final DashboardFixture dashboard = DashboardFixture.withUsers("/ops/jobs").truncatingBeforeEach(
            "pgjobs.jobs, pgjobs.attempts, pgjobs.audit_log, pgjobs.queues, pgjobs.schedules,"
                    + " pgjobs.schedule_runs, pgjobs.nodes, pgjobs.queue_lag");
    @Fixture private static PgDatabase db;
    @Fixture private static Scheduler scheduler;
    @Fixture private static DashboardServer server;
    @Fixture private static HttpCalls http;

    private static final ObjectMapper JSON = HttpCalls.JSON;

    private static HttpRequest.Builder request(String path, String user, String password) {
        return http.request(path, user, password);
    }

    private static HttpRequest.Builder request(DashboardServer at, String path, String user, String password) {
        return new HttpCalls(at.uri()).request(path, user, password);
    }

    private static Reply send(HttpRequest request) throws Exception {
        return HttpCalls.send(request);
    }

    private static Reply viewerGet(String path) throws Exception {
        return http.get(path, "victor", "view-pw");
    }

    private static String token(String user, String password) throws Exception {
        return http.token(user, password);
    }

    private static Reply operatorPost(String path, Object body) throws Exception {
        return http.post(path, "olga", "op-pw", body);
    }

    private long enqueue(Map<String, Object> args) {
        return scheduler.client().enqueue(JobRequest.of("test.api", args).queue("mail").tags("t1")).id();
    }

    @Test
    void unauthenticatedAndWrongPasswordsAreRefusedWithAChallenge() throws Exception {
        for (String path : new String[] {"", "app.js", "api/session", "api/overview", "api/jobs"}) {
            Reply reply = send(request(path, null, null).GET().build());
            assertThat(reply.status()).as(path).isEqualTo(401);
            assertThat(reply.raw().headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
        }
        assertThat(send(request("api/overview", "olga", "wrong").GET().build()).status()).isEqualTo(401);
        Reply post = send(request("api/jobs/1/retry", null, null).POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(post.status()).isEqualTo(401);
    }

    @Test
    void servesTheUiWithAStrictContentSecurityPolicyUnderItsMountPath() throws Exception {
        Reply index = viewerGet("");
        assertThat(index.status()).isEqualTo(200);
        assertThat(index.raw().body()).contains("<script src=\"app.js?v=");
        assertThat(index.raw().headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                assertThat(csp).contains("script-src 'self'").contains("frame-ancestors 'none'"));
        assertThat(viewerGet("app.css").status()).isEqualTo(200);
        assertThat(viewerGet("nope.html").status()).isEqualTo(404);
        Reply bare = send(HttpRequest.newBuilder(URI.create(server.uri().toString().replaceAll("/$", ""))).GET().build());
        assertThat(bare.status()).isEqualTo(302);
        assertThat(bare.raw().headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/ops/jobs/"));
    }

    @Test
    void viewersReadEveryPageButAreDeniedEveryAction() throws Exception {
        long id = enqueue(Map.of("customer_id", 42));
        db.execute("insert into pgjobs.schedules (name, expression, kind) values ('hourly', '0 * * * *', 'test.api')");
        assertThat(viewerGet("api/session").body().get("role").asText()).isEqualTo("viewer");
        for (String path : new String[] {"api/overview", "api/overview?span=day", "api/queues", "api/jobs", "api/jobs/count", "api/jobs/" + id,
                "api/dead-letters", "api/schedules", "api/nodes", "api/audit"}) {
            assertThat(viewerGet(path).status()).as(path).isEqualTo(200);
        }
        String token = token("victor", "view-pw");
        for (String path : new String[] {"api/jobs/" + id + "/retry", "api/jobs/" + id + "/cancel", "api/jobs/" + id + "/delete",
                "api/jobs/" + id + "/clone", "api/bulk", "api/queues/mail/pause", "api/queues/mail/resume",
                "api/dead-letters/0123456789abcdef0123456789abcdef/retry", "api/schedules/hourly/pause",
                "api/schedules/hourly/trigger"}) {
            Reply reply = send(request(path, "victor", "view-pw").header("X-PgJobs-Csrf", token)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"retry\"}")).build());
            assertThat(reply.status()).as(path).isEqualTo(403);
            assertThat(reply.body().get("error").asText()).contains("viewer");
        }
        assertThat(scheduler.client().get(id).orElseThrow().state().dbName()).isEqualTo("available");
        assertThat(db.queryLong("select count(*) from pgjobs.audit_log")).isZero();
    }

    @Test
    void actionsWithoutTheRightCsrfTokenOrFromAnotherOriginAreRefused() throws Exception {
        long id = enqueue(Map.of("n", 1));
        String path = "api/jobs/" + id + "/cancel";
        Reply missing = send(request(path, "olga", "op-pw").POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(missing.status()).isEqualTo(403);
        assertThat(missing.body().get("error").asText()).contains("missing X-PgJobs-Csrf");
        Reply wrong = send(request(path, "olga", "op-pw").header("X-PgJobs-Csrf", token("victor", "view-pw"))
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(wrong.status()).isEqualTo(403);
        assertThat(wrong.body().get("error").asText()).contains("wrong X-PgJobs-Csrf");
        Reply crossOrigin = send(request(path, "olga", "op-pw").header("X-PgJobs-Csrf", token("olga", "op-pw"))
                .header("Origin", "https://evil.example").POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(crossOrigin.status()).isEqualTo(403);
        assertThat(crossOrigin.body().get("error").asText()).contains("cross-origin");
        Reply crossSite = send(request(path, "olga", "op-pw").header("X-PgJobs-Csrf", token("olga", "op-pw"))
                .header("Sec-Fetch-Site", "cross-site").POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(crossSite.status()).isEqualTo(403);
        assertThat(scheduler.client().get(id).orElseThrow().state().dbName()).isEqualTo("available");

        Reply sameOrigin = send(request(path, "olga", "op-pw").header("X-PgJobs-Csrf", token("olga", "op-pw"))
                .header("Origin", "http://127.0.0.1:" + server.uri().getPort()).POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(sameOrigin.status()).isEqualTo(200);
        assertThat(sameOrigin.body().get("changed").asBoolean()).isTrue();
    }

    @Test
    void badInputIsA400NamingTheField() throws Exception {
        Map<String, String> cases = Map.of(
                "api/jobs?state=bogus", "state: unknown state 'bogus'",
                "api/jobs?args=customer_id", "args: expected name = value",
                "api/jobs?args=a%20%3D%201%20or%201%3D1", "args: expected 'and'",
                "api/jobs?createdFrom=yesterday", "createdFrom: expected an ISO-8601 instant",
                "api/jobs?limit=0", "limit: must be between 1 and 500",
                "api/jobs?before=abc", "before: expected a job id",
                "api/audit?limit=9999", "limit:",
                "api/jobs/count?cap=0", "cap:",
                "api/overview?span=week", "span: must be hour or day");
        for (var c : cases.entrySet()) {
            Reply reply = viewerGet(c.getKey());
            assertThat(reply.status()).as(c.getKey()).isEqualTo(400);
            assertThat(reply.body().get("error").asText()).as(c.getKey()).startsWith(c.getValue());
        }
        long id = enqueue(Map.of("n", 1));
        assertThat(operatorPost("api/jobs/" + id + "/clone", Map.of("args", "not an object")).body().get("error").asText())
                .startsWith("args:");
        assertThat(operatorPost("api/bulk", Map.of("action", "explode")).body().get("error").asText()).startsWith("action:");
        assertThat(operatorPost("api/bulk", Map.of("action", "retry", "ids", "x")).status()).isEqualTo(400);
        assertThat(operatorPost("api/bulk", Map.of("action", "retry", "batchSize", 5000)).body().get("error").asText())
                .startsWith("batchSize:");
        assertThat(viewerGet("api/jobs/999999").status()).isEqualTo(404);
        assertThat(viewerGet("api/nothing").status()).isEqualTo(404);
        assertThat(viewerGet("api/jobs/" + id + "/retry").status()).isEqualTo(405);
    }

    @Test
    void listsFiltersAndPagesJobsAndRedactsSecrets() throws Exception {
        long a = enqueue(Map.of("customer_id", 42, "password", "hunter2", "nested", Map.of("apiKey", "k-1", "city", "Porto")));
        long b = enqueue(Map.of("customer_id", 7));
        long c = enqueue(Map.of("customer_id", 42, "token", "t"));

        JsonNode page = viewerGet("api/jobs?limit=2").body();
        assertThat(page.get("jobs").findValuesAsText("kind")).hasSize(2);
        assertThat(page.get("jobs").get(0).get("id").asLong()).isEqualTo(c);
        long next = page.get("nextBefore").asLong();
        assertThat(viewerGet("api/jobs?limit=2&before=" + next).body().get("jobs").get(0).get("id").asLong()).isEqualTo(a);

        JsonNode filtered = viewerGet("api/jobs?state=available&queue=mail&tag=t1&args=customer_id%20%3D%2042").body().get("jobs");
        assertThat(filtered).extracting(j -> j.get("id").asLong()).containsExactly(c, a);
        assertThat(viewerGet("api/jobs/count?args=customer_id%20%3D%2042").body().get("value").asLong()).isEqualTo(2);
        assertThat(viewerGet("api/jobs?kind=other").body().get("jobs")).isEmpty();

        JsonNode job = viewerGet("api/jobs/" + a).body().get("job");
        assertThat(job.get("args").get("password").asText()).isEqualTo("[redacted]");
        assertThat(job.get("args").get("nested").get("apiKey").asText()).isEqualTo("[redacted]");
        assertThat(job.get("args").get("nested").get("city").asText()).isEqualTo("Porto");
        assertThat(viewerGet("api/jobs?limit=5").raw().body()).doesNotContain("hunter2").doesNotContain("k-1");
        assertThat(b).isLessThan(c);
    }

    @Test
    void aFilterWithoutAnIndexReturnsPartialPagesWithACursorUntilItReachesTheOldestJob() throws Exception {
        long match = enqueue(Map.of("customer_id", 42));
        // a gap wider than one search window, as if 150,000 jobs had been enqueued and deleted
        db.execute("select setval(pg_get_serial_sequence('pgjobs.jobs', 'id'), " + (match + 150_000) + ")");
        long newest = enqueue(Map.of("customer_id", 7));

        JsonNode first = viewerGet("api/jobs?args=customer_id%20%3D%2042").body();
        assertThat(first.get("jobs")).isEmpty();
        assertThat(first.get("partial").asBoolean()).isTrue();
        assertThat(first.get("nextBefore").asLong()).isEqualTo(newest + 1 - 100_000);

        JsonNode second = viewerGet("api/jobs?args=customer_id%20%3D%2042&before=" + first.get("nextBefore").asLong()).body();
        assertThat(second.get("jobs")).extracting(j -> j.get("id").asLong()).containsExactly(match);
        assertThat(second.get("partial").asBoolean()).isFalse();
        assertThat(second.get("nextBefore").asText()).isEmpty();

        assertThat(viewerGet("api/jobs/count?args=customer_id%20%3D%2042").body().get("value").asLong()).isEqualTo(1);
        JsonNode all = viewerGet("api/jobs").body();
        assertThat(all.get("jobs")).extracting(j -> j.get("id").asLong()).containsExactly(newest);
        assertThat(all.get("partial").asBoolean()).isTrue();
    }

    @Test
    void theOverviewCarriesEachQueuesLagPerChartBucket() throws Exception {
        // as the leader's sampler writes them
        db.execute("""
                insert into pgjobs.queue_lag (minute, queue, lag_ms, waiting, running)
                values (date_trunc('minute', now()) - interval '3 minutes', 'mail', 1500, 20000, 2),
                       (date_trunc('minute', now()), 'mail', 0, 0, 0)
                """);
        JsonNode overview = viewerGet("api/overview").body();
        JsonNode mail = overview.get("lag").get(0);
        assertThat(mail.get("queue").asText()).isEqualTo("mail");
        JsonNode first = mail.get("points").get(0);
        assertThat(first.get("lagMs").asLong()).isEqualTo(1500);
        assertThat(first.get("waiting").get("value").asLong()).isEqualTo(10_000);
        assertThat(first.get("waiting").get("atLeast").asBoolean()).isTrue();
        assertThat(first.get("running").asLong()).isEqualTo(2);
        assertThat(mail.get("points").get(1).get("lagMs").asLong()).isZero();
        // the points start on the buckets of the throughput series, in the same format, so the UI lines them up
        assertThat(overview.get("series").findValuesAsText("start"))
                .contains(first.get("start").asText(), mail.get("points").get(1).get("start").asText());
        assertThat(viewerGet("api/overview?span=day").body().get("lag").get(0).get("points").get(0).get("lagMs").asLong())
                .isEqualTo(1500);
    }

    @Test
    void argsAreShownAndClonedWithEveryDigitTheyHold() throws Exception {
        // read as doubles, 0.1000000000000000000001 would be shown as 0.1, and 1e400 cloned as the string "Infinity"
        long original = enqueue(Map.of("x", new BigDecimal("0.1000000000000000000001")));
        assertThat(viewerGet("api/jobs/" + original).raw().body()).contains("\"x\":0.1000000000000000000001}");

        Reply clone = http.postRaw("api/jobs/" + original + "/clone", "olga", "op-pw",
                "{\"args\": {\"n\": 1e400, \"x\": 0.1000000000000000000001, \"y\": 1.50}}");
        assertThat(scheduler.client().get(clone.body().get("id").asLong()).orElseThrow().args())
                .isEqualTo("{\"n\": 1" + "0".repeat(400) + ", \"x\": 0.1000000000000000000001, \"y\": 1.50}");
    }

    @Test
    void operatorsActOnJobsQueuesDeadLettersAndSchedulesAndEveryActionIsAudited() throws Exception {
        long a = enqueue(Map.of("n", 1));
        long b = enqueue(Map.of("n", 2));
        assertThat(operatorPost("api/jobs/" + a + "/cancel", Map.of()).body().get("changed").asBoolean()).isTrue();
        assertThat(operatorPost("api/jobs/" + a + "/retry", Map.of()).body().get("changed").asBoolean()).isTrue();
        long copy = operatorPost("api/jobs/" + a + "/clone", Map.of("args", Map.of("n", 99))).body().get("id").asLong();
        assertThat(scheduler.client().get(copy).orElseThrow().args()).contains("99");
        assertThat(operatorPost("api/jobs/" + copy + "/delete", Map.of()).body().get("changed").asBoolean()).isTrue();
        assertThat(scheduler.client().get(copy)).isEmpty();

        JsonNode byIds = operatorPost("api/bulk", Map.of("action", "cancel", "ids", new long[] {a, b})).body();
        assertThat(byIds.get("changed").asInt()).isEqualTo(2);
        JsonNode first = operatorPost("api/bulk", Map.of("action", "retry", "state", "cancelled", "batchSize", 1)).body();
        assertThat(first.get("done").asBoolean()).isFalse();
        JsonNode second = operatorPost("api/bulk", Map.of("action", "retry", "state", "cancelled", "batchSize", 1,
                "cursor", first.get("nextCursor").asLong())).body();
        assertThat(first.get("changed").asInt() + second.get("changed").asInt()).isEqualTo(2);

        assertThat(operatorPost("api/queues/mail/pause", Map.of()).status()).isEqualTo(200);
        assertThat(viewerGet("api/queues").body().get(0).get("paused").asBoolean()).isTrue();
        assertThat(operatorPost("api/queues/mail/resume", Map.of()).status()).isEqualTo(200);

        db.execute("update pgjobs.jobs set state = 'discarded', finished_at = now(), last_error = 'java.io.IOException: host 10.0.0.' || id || ' down'");
        JsonNode groups = viewerGet("api/dead-letters").body();
        assertThat(groups).hasSize(1);
        assertThat(groups.get(0).get("jobs").asInt()).isEqualTo(2);
        JsonNode retried = operatorPost("api/dead-letters/" + groups.get(0).get("fingerprint").asText() + "/retry",
                Map.of("batchSize", 10)).body();
        assertThat(retried.get("changed").asInt()).isEqualTo(2);
        assertThat(viewerGet("api/dead-letters").body()).isEmpty();

        db.execute("insert into pgjobs.schedules (name, expression, kind, args, next_fire_at)"
                + " values ('hourly', '0 * * * *', 'test.api', '{\"from\": \"cron\"}', date_trunc('hour', now()) + interval '1 hour')");
        assertThat(operatorPost("api/schedules/hourly/pause", Map.of()).body().get("enabled").asBoolean()).isFalse();
        assertThat(operatorPost("api/schedules/hourly/resume", Map.of()).body().get("enabled").asBoolean()).isTrue();
        long triggered = operatorPost("api/schedules/hourly/trigger", Map.of()).body().get("id").asLong();
        assertThat(scheduler.client().get(triggered).orElseThrow().args()).contains("cron");
        assertThat(operatorPost("api/schedules/nope/pause", Map.of()).status()).isEqualTo(404);
        JsonNode schedule = viewerGet("api/schedules").body().get(0);
        assertThat(schedule.get("nextFireTimes")).hasSize(5);
        assertThat(schedule.get("description").asText()).isNotBlank();
        JsonNode run = schedule.get("recentRuns").get(0);
        assertThat(schedule.get("recentRuns")).hasSize(1);
        assertThat(run.get("jobId").asLong()).isEqualTo(triggered);
        assertThat(run.get("manual").asBoolean()).isTrue();
        assertThat(run.get("state").asText()).isEqualTo("AVAILABLE");
        assertThat(Instant.parse(run.get("fireTime").asText())).isEqualTo(scheduler.client().get(triggered).orElseThrow().runAt());
        assertThat(run.get("startedAt").isNull()).isTrue();
        assertThat(run.get("finishedAt").isNull()).isTrue();

        JsonNode audit = viewerGet("api/audit?limit=100").body();
        assertThat(audit.findValuesAsText("actor")).containsOnly("olga");
        assertThat(audit.findValuesAsText("action")).containsExactly("trigger_schedule", "resume_schedule", "pause_schedule",
                "dead_letters_retry", "resume_queue", "pause_queue", "bulk_retry", "bulk_retry", "bulk_cancel", "delete", "clone",
                "retry", "cancel");
    }

    private static JsonNode node(String id) throws Exception {
        for (JsonNode node : viewerGet("api/nodes").body()) {
            if (node.get("id").asText().equals(id)) {
                return node;
            }
        }
        throw new AssertionError("api/nodes lacks node " + id);
    }

    @Test
    void nodesShowWhichNodeLeadsAndSinceWhen() throws Exception {
        try (Scheduler leading = Scheduler.builder(db.dataSource()).nodeId("leading-node").build()) {
            leading.start();
            Await.until(Duration.ofSeconds(20), "the started node leads", leading::isLeader);
            // the lock is taken first; the node's row shows it from the heartbeat's next round
            Await.until(Duration.ofSeconds(20), "api/nodes marks the leader", () -> !node("leading-node").get("leaderSince").isNull());
            JsonNode node = node("leading-node");
            assertThat(node.get("alive").asBoolean()).isTrue();
            assertThat(Instant.parse(node.get("leaderSince").asText())).isAfterOrEqualTo(Instant.parse(node.get("startedAt").asText()));
        }
        JsonNode stopped = node("leading-node");
        assertThat(stopped.get("alive").asBoolean()).isFalse();
        assertThat(stopped.get("leaderSince").isNull()).isTrue();
    }

    @Test
    void healthProbesAnswerWithoutCredentialsButShowDetailsOnlyToUsers() throws Exception {
        for (String path : new String[] {"health/live", "health/ready"}) {
            Reply anonymous = send(request(path, null, null).GET().build());
            // this scheduler only serves the dashboard: its node is not started, and no node leads
            assertThat(anonymous.status()).as(path).isEqualTo(200);
            assertThat(anonymous.raw().headers().firstValue("WWW-Authenticate")).as(path).isEmpty();
            assertThat(anonymous.raw().headers().firstValue("Cache-Control")).as(path).hasValue("no-store");
            assertThat(anonymous.body().get("status").asText()).isEqualTo("DEGRADED");
            assertThat(anonymous.body().get("checks").findValuesAsText("name"))
                    .containsExactly("node", "database", "leader", "unhandled_kinds", "dead_letters");
            List<String> statuses = anonymous.body().get("checks").findValuesAsText("status");
            // no node runs: unhandled_kinds depends on whether earlier tests left due jobs
            assertThat(statuses.get(3)).isIn("UP", "DEGRADED");
            assertThat(List.of(statuses.get(0), statuses.get(1), statuses.get(2), statuses.get(4)))
                    .containsExactly("UNKNOWN", "UP", "DEGRADED", "UP");
            assertThat(anonymous.body().get("checks").findValuesAsText("detail")).containsOnly("");
            assertThat(send(request(path, "victor", "wrong").GET().build()).body().get("checks").findValuesAsText("detail")).containsOnly("");

            Reply signedIn = viewerGet(path);
            assertThat(signedIn.status()).as(path).isEqualTo(200);
            assertThat(signedIn.body().get("checks").get(1).get("detail").asText()).isEqualTo("select 1 answered");
            assertThat(signedIn.body().get("checks").get(2).get("detail").asText()).startsWith("0 live leaders");
        }
        assertThat(send(request("health/ready", null, null).POST(HttpRequest.BodyPublishers.noBody()).build()).status()).isEqualTo(405);
    }

    @Test
    void readinessFailsWhileTheDatabaseIsUnreachableButLivenessHolds() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        PGSimpleDataSource nowhere = new PGSimpleDataSource();
        nowhere.setServerNames(new String[] {"127.0.0.1"});
        nowhere.setPortNumbers(new int[] {port});
        nowhere.setDatabaseName("pgjobs");
        try (Scheduler lost = Scheduler.builder(nowhere).build();
             DashboardServer unreachable = DashboardServer.start(new DashboardServlet(lost, BasicAuth.parse("victor:view-pw:viewer")),
                     "127.0.0.1", 0, "/ops/jobs")) {
            Reply ready = send(request(unreachable, "health/ready", null, null).GET().build());
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.body().get("status").asText()).isEqualTo("DOWN");
            assertThat(ready.body().get("checks").findValuesAsText("status")).containsExactly("UNKNOWN", "DOWN");
            // the driver's message names the server: only for users
            assertThat(ready.raw().body()).doesNotContain(String.valueOf(port));
            assertThat(send(request(unreachable, "health/ready", "victor", "view-pw").GET().build()).body()
                    .get("checks").get(1).get("detail").asText()).startsWith("unreachable:").contains(String.valueOf(port));
            // a lost database is no reason to restart the process
            assertThat(send(request(unreachable, "health/live", null, null).GET().build()).status()).isEqualTo(200);
        }
    }

    @Test
    void bothProbesFailOnAClosedScheduler() throws Exception {
        Scheduler closed = Scheduler.builder(db.dataSource()).nodeId("closed-node").build();
        closed.start();
        closed.close();
        try (DashboardServer probed = DashboardServer.start(new DashboardServlet(closed, BasicAuth.parse("victor:view-pw:viewer")),
                "127.0.0.1", 0, "/")) {
            for (String path : new String[] {"health/live", "health/ready"}) {
                Reply reply = send(request(probed, path, null, null).GET().build());
                assertThat(reply.status()).as(path).isEqualTo(503);
                assertThat(reply.body().get("status").asText()).isEqualTo("DOWN");
                assertThat(reply.body().get("checks").get(0).get("status").asText()).isEqualTo("DOWN");
            }
        }
    }
}
