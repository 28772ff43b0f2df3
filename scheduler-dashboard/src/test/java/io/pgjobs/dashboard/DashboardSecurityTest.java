package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgjobs.JobRequest;
import io.pgjobs.NonRetryableException;
import io.pgjobs.Scheduler;
import io.pgjobs.dashboard.DashboardFixture.Fixture;
import io.pgjobs.dashboard.HttpCalls.Reply;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What an attacker (or a careless script) sends, and what must never come back. */
class DashboardSecurityTest {
    private static final String CARD = "4242 4242 4242 4242";
    /** Fragments of SQL, PostgreSQL's or Java's errors, or server names: none may reach a client. */
    private static final List<String> LEAKS = List.of("select ", " from ", "insert ", "sqlstate", "org.postgresql",
            "error:", "exception", "\tat ", "jetty", "pgjobs.jobs", "jooq", "stackoverflow");

    @RegisterExtension
    static final DashboardFixture dashboard = DashboardFixture.withUsers("/ops").started()
            .truncatingBeforeEach("pgjobs.jobs, pgjobs.attempts, pgjobs.audit_log, pgjobs.queues, pgjobs.schedules,"
                    + " pgjobs.schedule_runs")
            .scheduler(builder -> builder.queue("mail", 1).pollInterval(Duration.ofMillis(100))
                .handler("card.charge", Map.class, ctx -> {
                    throw new NonRetryableException("gateway refused card " + ctx.args().get("card") + " with password="
                            + ctx.args().get("password"));
                })
                .handler("card.refund", Map.class, ctx -> Map.of("apiKey", "k-result", "card", CARD)));
    @Fixture private static PgDatabase db;
    @Fixture private static Scheduler scheduler;
    @Fixture private static DashboardServer server;
    @Fixture private static HttpCalls http;

    private static Reply viewerGet(String path) throws Exception {
        return http.get(path, "victor", "view-pw");
    }

    private static void assertNoLeak(String request, Reply reply) {
        String what = shortened(request) + " -> " + shortened(reply.raw().body());
        assertThat(reply.status()).as(what).isLessThan(500);
        assertThat(reply.header("Server")).as(what).isNull();
        assertThat(reply.header("Content-Type")).as(what).startsWith("application/json");
        String body = reply.raw().body().toLowerCase(Locale.ROOT);
        for (String leak : LEAKS) {
            assertThat(body).as(what).doesNotContain(leak);
        }
    }

    private static String shortened(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    private static List<String> badValues() {
        return List.of("", " ", "\u0000", "a\u0000b", "'", "\"", "'; drop table t; --", "%", "\\", "[]", "{}",
                "null", "1e400", "-1", "0", "99999999999999999999", "-9223372036854775808", "NaN", "ü😀",
                "+999999999-01-01T00:00:00Z", "-4714-11-24T00:00:00Z", "0000-01-01T00:00:00Z",
                "a = \"\\u0000\"", "a = \"\u0000\"", "a" + ".a".repeat(3000) + " = 1", "a = \"" + "x".repeat(5000) + "\"",
                "a = 1 and", "= 1", "a = \"unterminated", "x".repeat(2000));
    }

    private static String query(String name, String value) {
        return name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Test
    void badInputToAnyEndpointIsNeverA5xxAndNeverShowsSqlOrTheServer() throws Exception {
        long id = scheduler.client().enqueue(JobRequest.of("test.fuzz", Map.of("n", 1)).queue("mail")).id();
        List<String> filter = List.of("state", "queue", "kind", "tag", "createdFrom", "createdTo", "finishedFrom",
                "finishedTo", "args", "deadLetterGroup");
        Map<String, List<String>> reads = new LinkedHashMap<>();
        reads.put("api/overview", List.of("span"));
        reads.put("api/queues/activity", List.of("span"));
        reads.put("api/jobs", concat(filter, List.of("before", "limit")));
        reads.put("api/jobs/count", concat(filter, List.of("cap")));
        reads.put("api/audit", List.of("before", "limit", "actor", "action", "from", "to"));
        reads.put("api/flow", List.of("queue"));
        for (var endpoint : reads.entrySet()) {
            for (String parameter : endpoint.getValue()) {
                for (String value : badValues()) {
                    String path = endpoint.getKey() + "?" + query(parameter, value);
                    assertNoLeak("GET " + path, viewerGet(path));
                }
            }
        }
        List<String> pathValues = List.of("99999999999999999999999", "0", "%00", "a%00b", "%2F", "x".repeat(300),
                "%27%3B%20drop", "%E2%82");
        for (String value : pathValues) {
            for (String path : List.of("api/jobs/" + value, "api/jobs/" + value + "/retry", "api/queues/" + value + "/pause",
                    "api/queues/" + value + "/remove", "api/schedules/" + value + "/trigger",
                    "api/schedules/" + value + "/pause", "api/dead-letters/" + value + "/retry",
                    "api/jobs/" + value + "/skip", "api/circuits/" + value + "/open", "api/circuits/" + value + "/reset")) {
                Reply reply = path.endsWith("/" + value) && path.startsWith("api/jobs/") ? viewerGet(path)
                        : http.post(path, "olga", "op-pw", Map.of());
                assertNoLeak(path, reply);
            }
        }
        Map<String, List<String>> actions = new LinkedHashMap<>();
        actions.put("api/bulk", concat(filter, List.of("action", "ids", "cursor", "batchSize")));
        actions.put("api/jobs/" + id + "/clone", List.of("args"));
        actions.put("api/dead-letters/0123456789abcdef0123456789abcdef/retry", List.of("batchSize"));
        actions.put("api/circuits/fuzz.kind/open", List.of("coolDownSeconds"));
        for (var endpoint : actions.entrySet()) {
            for (String parameter : endpoint.getValue()) {
                for (String value : badValues()) {
                    Map<String, Object> body = new LinkedHashMap<>();
                    if (endpoint.getKey().equals("api/bulk")) {
                        body.put("action", "cancel");
                    }
                    body.put(parameter, value);
                    assertNoLeak("POST " + endpoint.getKey() + " " + parameter + "=" + value,
                            http.post(endpoint.getKey(), "olga", "op-pw", body));
                    body.put(parameter, Map.of("a", value, value, List.of(value)));
                    assertNoLeak("POST " + endpoint.getKey() + " " + parameter + "={...}",
                            http.post(endpoint.getKey(), "olga", "op-pw", body));
                }
            }
            for (String raw : List.of("", "[]", "\"x\"", "{", "{\"args\": {\"a\": \"\\u0000\"}}", "nonsense", "{\"a\":"
                    + "[".repeat(5000) + "]".repeat(5000) + "}")) {
                assertNoLeak("POST " + endpoint.getKey() + " body " + raw, http.postRaw(endpoint.getKey(), "olga", "op-pw", raw));
            }
        }
        // each kind of refusal names what was wrong
        assertThat(viewerGet("api/jobs?createdFrom=%2B999999999-01-01T00:00:00Z").body().get("error").asText())
                .startsWith("createdFrom: must be between the years 1 and 9999");
        assertThat(viewerGet("api/jobs?args=" + URLEncoder.encode("a = \"\\u0000\"", StandardCharsets.UTF_8))
                .body().get("error").asText()).startsWith("args:");
        assertThat(viewerGet("api/jobs?args=a" + ".a".repeat(3000) + "%20%3D%201").body().get("error").asText())
                .startsWith("args: must be at most 1000 characters");
        assertThat(viewerGet("api/jobs?args=a" + ".a".repeat(300) + "%20%3D%201").body().get("error").asText())
                .startsWith("args: at most 500 characters");
        assertThat(viewerGet("api/jobs/99999999999999999999999").body().get("error").asText()).startsWith("id:");
        assertThat(http.post("api/jobs/" + id + "/clone", "olga", "op-pw", Map.of("args", Map.of("a", "\u0000")))
                .body().get("error").asText()).startsWith("args: must not contain the NUL character");
        assertThat(scheduler.client().get(id)).isPresent();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void requestsJettyAnswersItselfAreJsonWithoutItsNameOrVersion() throws Exception {
        for (String request : List.of("GET /ops/%zz HTTP/1.1", "GET /elsewhere HTTP/1.1", "BREW /ops/ HTTP/1.1",
                "GET /ops/api/jobs?" + "x".repeat(20_000) + " HTTP/1.1")) {
            String response = raw(request + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertThat(response).as(request).doesNotStartWith("HTTP/1.1 5");
            assertThat(response.toLowerCase(Locale.ROOT)).as(request).contains("content-type: application/json")
                    .doesNotContain("server:").doesNotContain("jetty").doesNotContain("<html");
        }
    }

    /** Sends {@code request} as bytes and reads everything the server answers until it closes. */
    private static String raw(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.uri().getPort())) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aRefusedActionWhoseBodyIsStillOnItsWayClosesTheConnectionSaying() throws Exception {
        String credentials = java.util.Base64.getEncoder().encodeToString("victor:view-pw".getBytes(StandardCharsets.UTF_8));
        String body = "{\"action\":\"retry\"}";
        try (Socket socket = new Socket("127.0.0.1", server.uri().getPort())) {
            OutputStream out = socket.getOutputStream();
            // the headers, then no body yet: the viewer is refused before the servlet reads it
            out.write(("POST /ops/api/bulk HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + credentials
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 403 Forbidden");
            List<String> headers = new ArrayList<>();
            for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
                headers.add(line.toLowerCase(Locale.ROOT));
            }
            // a client that reused this connection would get no answer: the server closes it after skipping
            // what it could of the body
            assertThat(headers).contains("connection: close");
        }
    }

    @Test
    void secretsAreRedactedByNameAndValueEverywhereAndCannotBeFilteredOn() throws Exception {
        long charge = scheduler.client().enqueue(JobRequest.of("card.charge", Map.of("card", CARD, "password", "hunter2",
                "API-KEY", "k-1", "nested", Map.of("private_key", "pk-1", "Access.Key", "ak-1", "city", "Porto")))
                .queue("mail").metadata("authorization", "Basic abc").metadata("trace", "t-1")).id();
        long refund = scheduler.client().enqueue(JobRequest.of("card.refund", Map.of("order", 7)).queue("mail")).id();
        Await.until(Duration.ofSeconds(20), "both jobs finished", () -> scheduler.client().get(charge).orElseThrow()
                .finishedAt() != null && scheduler.client().get(refund).orElseThrow().finishedAt() != null);
        db.execute("insert into pgjobs.schedules (name, expression, kind, args) values ('nightly', '0 2 * * *',"
                + " 'card.refund', '{\"pwd\": \"s-1\", \"n\": 1}')");
        db.execute("insert into pgjobs.audit_log (actor, action, target, detail) values ('script', 'note', 'job:1',"
                + " '{\"token\": \"tk-1\"}')");
        assertThat(http.post("api/jobs/" + charge + "/clone", "olga", "op-pw",
                Map.of("args", Map.of("credentials", "c-1"))).status()).isEqualTo(200);

        JsonNode job = viewerGet("api/jobs/" + charge).body();
        assertThat(job.at("/job/args/nested/city").asText()).isEqualTo("Porto");
        assertThat(job.at("/job/args/card").asText()).isEqualTo("[redacted]");
        assertThat(job.at("/job/metadata/trace").asText()).isEqualTo("t-1");
        assertThat(job.at("/job/lastError").asText()).contains("gateway refused card [redacted] with password=[redacted]");
        assertThat(job.at("/attempts/0/message").asText()).contains("card [redacted]");
        assertThat(job.at("/attempts/0/stackTrace").asText()).contains("NonRetryableException");
        for (String path : List.of("api/jobs/" + charge, "api/jobs/" + refund, "api/jobs?limit=10", "api/dead-letters",
                "api/schedules", "api/audit")) {
            assertThat(viewerGet(path).raw().body()).as(path).doesNotContain("4242", "hunter2", "k-1", "pk-1", "ak-1",
                    "Basic abc", "k-result", "s-1", "c-1", "tk-1").contains("[redacted]");
        }

        for (String predicate : List.of("password = hunter2", "nested.private_key = pk-1", "API-KEY = k-1",
                "card = \"" + CARD + "\"", "note = \"4242424242424242\"")) {
            Reply refused = viewerGet("api/jobs?args=" + URLEncoder.encode(predicate, StandardCharsets.UTF_8));
            assertThat(refused.status()).as(predicate).isEqualTo(400);
            assertThat(refused.body().get("error").asText()).as(predicate).startsWith("args: cannot filter on");
            assertThat(http.post("api/bulk", "olga", "op-pw", Map.of("action", "delete", "args", predicate)).status())
                    .as(predicate).isEqualTo(400);
        }
        // the clone's args were replaced: only the original job has a city
        assertThat(viewerGet("api/jobs?args=nested.city%20%3D%20Porto").body().get("jobs")).hasSize(1);
    }

    @Test
    void aJobWhoseArgsWereChangedBehindPgjobsBackShowsWhyItWasDiscarded() throws Exception {
        long id = scheduler.client().enqueue(JobRequest.of("card.refund", Map.of("order", 7)).queue("mail")
                .delay(Duration.ofDays(1))).id();
        // what a hand-written fix-up does: the args change, the checksum stored at the enqueue stays (V34)
        db.execute("update pgjobs.jobs set args = '{\"order\": 8}', run_at = now() where id = " + id);
        Await.until(Duration.ofSeconds(30), "the job is discarded",
                () -> scheduler.client().get(id).orElseThrow().finishedAt() != null);

        JsonNode job = viewerGet("api/jobs/" + id).body();
        assertThat(job.at("/job/state").asText()).isEqualTo("discarded");
        assertThat(job.at("/job/lastError").asText()).contains("args checksum mismatch", "outside pgjobs");
        assertThat(job.at("/attempts/0/message").asText()).contains("args checksum mismatch");
        // its dead-letter group says so too, the hashes masked as any hex id is
        JsonNode group = viewerGet("api/dead-letters").body().get(0);
        assertThat(group.get("pattern").asText()).contains("args checksum mismatch").doesNotContain(
                job.at("/job/lastError").asText().replaceAll(".*have SHA-256 ([0-9a-f]{64}).*", "$1"));
        assertThat(viewerGet("api/jobs?deadLetterGroup=" + group.get("fingerprint").asText()).body()
                .findValuesAsText("id")).containsExactly(String.valueOf(id));
    }

    @Test
    void failedLoginsAreThrottledPerUserAndPerAddress() throws Exception {
        // its own server: the throttle counts per address, and every test calls from 127.0.0.1
        AtomicLong nanos = new AtomicLong();
        try (DashboardServer throttled = DashboardServer.start(new DashboardServlet(scheduler,
                BasicAuth.parse("olga:op-pw:operator,victor:view-pw:viewer", nanos::get)), "127.0.0.1", 0, "/")) {
            throttlesLogins(new HttpCalls(throttled.uri()), nanos);
        }
    }

    private static void throttlesLogins(HttpCalls http, AtomicLong nanos) throws Exception {
        for (int i = 0; i < LoginThrottle.FREE_USER_FAILURES; i++) {
            assertThat(http.get("api/session", "olga", "guess-" + i).status()).isEqualTo(401);
        }
        Reply throttled = http.get("api/session", "olga", "guess-again");
        assertThat(throttled.status()).isEqualTo(429);
        assertThat(throttled.header("Retry-After")).isEqualTo("1");
        // the right password is refused too while the wait lasts: answering it would confirm a guess
        assertThat(http.get("api/session", "olga", "op-pw").status()).isEqualTo(429);
        // probes stay anonymous rather than refused
        assertThat(http.get("health/live", "olga", "op-pw").status()).isEqualTo(200);
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(http.get("api/session", "olga", "guess-6").status()).isEqualTo(401);
        assertThat(http.get("api/session", "olga", "op-pw").status()).isEqualTo(429);
        assertThat(http.get("api/session", "olga", "op-pw").header("Retry-After")).isEqualTo("2");
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(http.get("api/session", "olga", "op-pw").status()).isEqualTo(200);

        // many names from one address: the address waits, whoever it claims to be
        for (int i = 0; i < LoginThrottle.FREE_ADDRESS_FAILURES; i++) {
            assertThat(http.get("api/session", "user-" + i, "pw").status()).isIn(401, 429);
        }
        assertThat(http.get("api/session", "victor", "view-pw").status()).isEqualTo(429);
        nanos.addAndGet(LoginThrottle.FORGET_AFTER.toNanos() + 1);
        assertThat(http.get("api/session", "victor", "view-pw").status()).isEqualTo(200);
    }

    @Test
    void anonymousProbesDoNotChangeWhatTheNextCallerSees() throws Exception {
        long id = scheduler.client().enqueue(JobRequest.of("card.charge", Map.of("card", "1")).queue("mail")).id();
        Await.until(Duration.ofSeconds(20), "the job is discarded",
                () -> scheduler.client().get(id).orElseThrow().finishedAt() != null);
        for (int caller = 0; caller < 3; caller++) {
            JsonNode anonymous = http.get("health/ready", null, null).body();
            assertThat(anonymous.get("checks").findValuesAsText("status")).as("caller " + caller).contains("DEGRADED");
        }
        assertThat(viewerGet("health/ready").body().toString()).contains("1 jobs discarded in the last 5 minutes");
    }

    @Test
    void pausingAnUnknownQueueIsRefusedAndAnOperatorRemovesAQueueNoNodeWorks() throws Exception {
        Reply unknown = http.post("api/queues/mial/pause", "olga", "op-pw", Map.of());
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body().get("error").asText()).startsWith("queue: no queue named 'mial'");
        assertThat(viewerGet("api/queues").body().findValuesAsText("name")).doesNotContain("mial");

        // the scheduler works "mail": it cannot be removed; "old" is a queue nothing uses any more
        db.execute("insert into pgjobs.queues (name, paused) values ('old', true)");
        Reply worked = http.post("api/queues/mail/remove", "olga", "op-pw", Map.of());
        assertThat(worked.status()).isEqualTo(400);
        assertThat(worked.body().get("error").asText()).contains(scheduler.nodeId());
        assertThat(http.post("api/queues/old/remove", "olga", "op-pw", Map.of()).body().get("removed").asBoolean()).isTrue();
        assertThat(viewerGet("api/queues").body().findValuesAsText("name")).doesNotContain("old");
        assertThat(http.post("api/queues/old/remove", "victor", "view-pw", Map.of()).status()).isEqualTo(403);
    }

    @Test
    void staticFilesHaveVersionedNamesAndETags() throws Exception {
        Reply page = viewerGet("");
        assertThat(page.header("Cache-Control")).isEqualTo("private, no-cache");
        java.util.regex.Matcher script = java.util.regex.Pattern.compile("src=\"(app\\.js\\?v=([0-9a-f]+))\"")
                .matcher(page.raw().body());
        assertThat(script.find()).isTrue();
        Reply versioned = viewerGet(script.group(1));
        assertThat(versioned.status()).isEqualTo(200);
        assertThat(versioned.header("Cache-Control")).isEqualTo("private, max-age=31536000, immutable");
        assertThat(versioned.header("ETag")).isEqualTo("\"" + script.group(2) + "\"");
        assertThat(viewerGet("app.js?v=old").header("Cache-Control")).isEqualTo("private, no-cache");
        Reply unchanged = HttpCalls.send(http.request("", "victor", "view-pw")
                .header("If-None-Match", page.header("ETag")).GET().build());
        assertThat(unchanged.status()).isEqualTo(304);
        assertThat(unchanged.raw().body()).isEmpty();
        assertThat(viewerGet("favicon.svg").header("Content-Type")).startsWith("image/svg+xml");
        assertThat(HttpCalls.send(http.request("app.css", null, null).GET().build()).status()).isEqualTo(401);
    }

    @Test
    void aDatabaseFailureIsA503ThatShowsNoSql() throws Exception {
        db.execute("alter table pgjobs.audit_log rename to audit_log_away");
        try {
            Reply reply = viewerGet("api/audit");
            assertThat(reply.status()).isEqualTo(503);
            assertThat(reply.body().get("error").asText()).isEqualTo("the database failed (the server's log has the details)");
            assertThat(reply.raw().body()).doesNotContain("audit_log");
        } finally {
            db.execute("alter table pgjobs.audit_log_away rename to audit_log");
        }
    }

    @Test
    void anyOtherFailureIsAJson500WithoutItsMessage() throws Exception {
        HttpRequest request = http.request("api/jobs", "victor", "view-pw").GET().build();
        try (DashboardServer failing = DashboardServer.start(new DashboardServlet(scheduler, r -> {
            throw new IllegalStateException("the host's auth broke: secret detail");
        }), "127.0.0.1", 0, "/")) {
            Reply reply = HttpCalls.send(HttpRequest.newBuilder(failing.uri().resolve("api/jobs")).GET().build());
            assertThat(reply.status()).isEqualTo(500);
            assertThat(reply.body().get("error").asText()).isEqualTo("internal error (the server's log has the details)");
            assertThat(reply.raw().body()).doesNotContain("secret detail");
        }
        assertThat(HttpCalls.send(request).status()).isEqualTo(200);
    }

    // ---- hostile requests: each is a 4xx naming what was wrong, and changes nothing ---------------------------

    /** A response read off the socket: its status, its headers by lower-case name, and its body. */
    private record RawReply(int status, Map<String, String> headers, String body) {}

    /** Sends {@code head} (a request line and headers, without the blank line) as olga, and reads the answer. */
    private static RawReply rawAsOperator(String head) throws Exception {
        String credentials = java.util.Base64.getEncoder().encodeToString("olga:op-pw".getBytes(StandardCharsets.UTF_8));
        String response = raw(head + "\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + credentials
                + "\r\nConnection: close\r\n\r\n");
        int end = response.indexOf("\r\n\r\n");
        String[] lines = response.substring(0, end).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        return new RawReply(Integer.parseInt(lines[0].split(" ")[1]), headers, response.substring(end + 4));
    }

    private static void assertRefused(String request, RawReply reply, int status, String naming) {
        assertThat(reply.status()).as(request + " -> " + shortened(reply.body())).isEqualTo(status);
        assertThat(reply.headers().get("content-type")).as(request).startsWith("application/json");
        assertThat(reply.headers()).as(request).doesNotContainKeys("server", "set-cookie");
        String body = reply.body().toLowerCase(Locale.ROOT);
        for (String leak : LEAKS) {
            assertThat(body).as(request).doesNotContain(leak);
        }
        assertThat(reply.body()).as(request).contains("\"error\":\"" + naming);
    }

    /** An available job, and a check that nothing changed it or audited anything since. */
    private static Runnable untouchedJob() {
        long id = scheduler.client().enqueue(JobRequest.of("test.hostile", Map.of("n", 1)).queue("idle")).id();
        return () -> {
            try {
                assertThat(scheduler.client().get(id).orElseThrow().state().dbName()).isEqualTo("available");
                assertThat(db.queryLong("select count(*) from pgjobs.audit_log")).as("audited").isZero();
                assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isEqualTo(1);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    @Test
    void anActionWhoseBodyIsNotJsonIsA415BeforeItIsRead() throws Exception {
        Runnable unchanged = untouchedJob();
        long id = scheduler.client().enqueue(JobRequest.of("test.hostile", Map.of("n", 2)).queue("idle")).id();
        String token = http.token("olga", "op-pw");
        Map<String, String> bodies = Map.of("text/plain", "{}", "application/x-www-form-urlencoded", "action=cancel&state=available",
                "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\ncancel\r\n--x--\r\n",
                "application/xml", "<action>cancel</action>", "application/jsonp", "{}", "json", "{}");
        for (var body : bodies.entrySet()) {
            for (String path : List.of("api/jobs/" + id + "/cancel", "api/bulk")) {
                Reply reply = HttpCalls.send(http.request(path, "olga", "op-pw").header("X-PgJobs-Csrf", token)
                        .header("Content-Type", body.getKey()).POST(HttpRequest.BodyPublishers.ofString(body.getValue())).build());
                assertNoLeak(path + " as " + body.getKey(), reply);
                assertThat(reply.status()).as(body.getKey()).isEqualTo(415);
                assertThat(reply.body().get("error").asText()).as(body.getKey())
                        .isEqualTo("Content-Type: must be application/json, got '" + body.getKey() + "'");
            }
        }
        assertThat(scheduler.client().get(id).orElseThrow().state().dbName()).isEqualTo("available");
        db.execute("delete from pgjobs.jobs where id = " + id);
        unchanged.run();
        // JSON with a charset, in any case, is JSON: read, and answered (the job is gone now, so a 404 naming it)
        Reply cancelled = HttpCalls.send(http.request("api/jobs/" + id + "/cancel", "olga", "op-pw").header("X-PgJobs-Csrf", token)
                .header("Content-Type", "Application/JSON; charset=UTF-8").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertThat(cancelled.status()).isEqualTo(404);
        assertThat(cancelled.body().get("error").asText()).isEqualTo("id: no job " + id);
    }

    @Test
    void aBodyOverTheLimitIsRefusedWhetherOrNotItsLengthIsGivenAhead() throws Exception {
        Runnable unchanged = untouchedJob();
        byte[] huge = ("{\"action\": \"cancel\", \"state\": \"available\", \"queue\": \"" + "x".repeat(3_000_000) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        String token = http.token("olga", "op-pw");
        // without a length the body comes chunked, and only reading it finds out its size
        for (HttpRequest.BodyPublisher body : List.of(HttpRequest.BodyPublishers.ofByteArray(huge),
                HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(huge)))) {
            // asked ahead (Expect: 100-continue): a body refused by its length is then never sent into a connection
            // the server closes after refusing it, which could lose the reply
            Reply reply = HttpCalls.send(http.request("api/bulk", "olga", "op-pw").header("X-PgJobs-Csrf", token)
                    .header("Content-Type", "application/json").expectContinue(true).POST(body).build());
            assertNoLeak("a 3 MB body", reply);
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.body().get("error").asText()).startsWith("body: larger than");
        }
        unchanged.run();
    }

    /** What Jetty refuses as ambiguous is named by what makes it so; the rest is a plain "Bad Request". */
    private static final Map<String, String> AMBIGUOUS_PATHS_NAMED = Map.of(
            "/ops/..%2f..%2fetc%2fpasswd", "path: an encoded '/' (%2F) in a path is ambiguous; it is refused",
            "/ops/%2fetc%2fpasswd", "path: an encoded '/' (%2F) in a path is ambiguous; it is refused",
            "/ops/..%5c..%5cetc%5cpasswd", "path: a backslash or a control character in a path is refused",
            "/ops//etc/passwd", "path: an empty segment ('//') is ambiguous; it is refused");

    @Test
    void pathsOutsideTheUisFilesAreRefusedAndShowNoFile() throws Exception {
        for (String path : List.of("/ops/../../etc/passwd", "/ops/%2e%2e/%2e%2e/etc/passwd", "/ops/..%2f..%2fetc%2fpasswd",
                "/ops/..%5c..%5cetc%5cpasswd", "/ops/%2fetc%2fpasswd", "/ops//etc/passwd", "/ops/app.js%00.html",
                "/ops/app.js/", "/ops/index.html", "/ops/static/app.js", "/ops/io/pgjobs/dashboard/static/app.js",
                "/ops/io/pgjobs/dashboard/DashboardServlet.class", "/ops/WEB-INF/web.xml", "/ops/META-INF/MANIFEST.MF",
                "/ops/api/../app.js%3f", "/ops/%u002e%u002e/etc/passwd")) {
            RawReply reply = rawAsOperator("GET " + path + " HTTP/1.1");
            assertThat(reply.status()).as(path).isIn(400, 404);
            assertRefused(path, reply, reply.status(), reply.status() == 404 ? "no such page"
                    : AMBIGUOUS_PATHS_NAMED.getOrDefault(path, "Bad Request"));
            assertThat(reply.body()).as(path).doesNotContain("root:").doesNotContain("use strict").doesNotContain("Manifest");
        }
    }

    @Test
    void otherMethodsAreA405NamingTheMethodsThePathTakes() throws Exception {
        Runnable unchanged = untouchedJob();
        String credentials = java.util.Base64.getEncoder().encodeToString("olga:op-pw".getBytes(StandardCharsets.UTF_8));
        Map<String, String> takes = Map.of("/ops/api/jobs", "GET, HEAD", "/ops/api/jobs/1/cancel", "POST",
                "/ops/api/bulk", "POST", "/ops/api/session", "GET, HEAD", "/ops/", "GET, HEAD", "/ops/app.js", "GET, HEAD",
                "/ops/health/ready", "GET, HEAD");
        for (String method : List.of("PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND")) {
            for (var path : takes.entrySet()) {
                RawReply reply = rawAsOperator(method + " " + path.getKey() + " HTTP/1.1");
                String request = method + " " + path.getKey();
                assertThat(reply.headers().get("allow")).as(request).isEqualTo(path.getValue());
                // a TRACE answer must not echo the credentials back
                assertRefused(request, reply, 405, "");
                assertThat(reply.body()).as(request).contains(path.getValue().split(",")[0]).doesNotContain(credentials);
            }
        }
        // HEAD of an action is a GET of it: refused, without a body
        RawReply head = rawAsOperator("HEAD /ops/api/bulk HTTP/1.1");
        assertThat(head.status()).isEqualTo(405);
        assertThat(head.headers().get("allow")).isEqualTo("POST");
        assertThat(head.body()).isEmpty();
        unchanged.run();
    }

    @Test
    void headIsAGetWithoutItsBody() throws Exception {
        Runnable unchanged = untouchedJob();
        for (String path : List.of("/ops/", "/ops/app.js", "/ops/favicon.svg", "/ops/api/session", "/ops/api/jobs?limit=5",
                "/ops/api/overview", "/ops/api/queues", "/ops/health/ready", "/ops/health/live", "/ops/api/jobs?limit=0",
                "/ops/api/nothing", "/ops/nothing")) {
            RawReply get = rawAsOperator("GET " + path + " HTTP/1.1");
            RawReply head = rawAsOperator("HEAD " + path + " HTTP/1.1");
            assertThat(head.status()).as(path).isEqualTo(get.status());
            assertThat(head.body()).as(path).isEmpty();
            for (String header : List.of("content-type", "cache-control", "etag", "content-security-policy",
                    "x-content-type-options")) {
                assertThat(head.headers().get(header)).as(path + " " + header).isEqualTo(get.headers().get(header));
            }
            if (head.headers().containsKey("content-length")) {
                assertHeadLengthIsAGetsBody(path);
            }
        }
        assertThat(rawAsOperator("GET /ops/ HTTP/1.1").status()).isEqualTo(200);
        unchanged.run();
    }

    /**
     * A HEAD's length is a GET's body's. A dynamic body's length changes from one request to the next (a queue's lag,
     * the overview's time, whose fraction drops its trailing zeros), so a HEAD between two GETs is asked again until
     * its length is one of theirs; a HEAD whose length is not a body's never matches.
     */
    private void assertHeadLengthIsAGetsBody(String path) throws Exception {
        List<String> tries = new ArrayList<>();
        for (int attempt = 0; attempt < 10; attempt++) {
            String before = bodyLength(rawAsOperator("GET " + path + " HTTP/1.1"));
            String length = rawAsOperator("HEAD " + path + " HTTP/1.1").headers().get("content-length");
            String after = bodyLength(rawAsOperator("GET " + path + " HTTP/1.1"));
            if (length.equals(before) || length.equals(after)) {
                return;
            }
            tries.add(before + " < " + length + " > " + after);
        }
        throw new AssertionError(path + ": no HEAD's length was a GET's body's in " + tries);
    }

    private static String bodyLength(RawReply reply) {
        return String.valueOf(reply.body().getBytes(StandardCharsets.ISO_8859_1).length);
    }

    @Test
    void malformedOrOutOfRangeQueryParametersAreA400NamingTheParameter() throws Exception {
        Map<String, String> naming = new LinkedHashMap<>();
        naming.put("api/jobs?state=%zz", "query:");
        naming.put("api/jobs?state=%C0%AF", "query:");
        naming.put("api/jobs?state=%E2%82", "query:");
        naming.put("api/jobs?limit=%", "query:");
        naming.put("api/jobs?limit=-1", "limit:");
        naming.put("api/jobs?limit=2147483648", "limit:");
        naming.put("api/jobs?limit=1e3", "limit:");
        naming.put("api/jobs?limit=0x10", "limit:");
        naming.put("api/jobs?before=0", "before:");
        naming.put("api/jobs?before=-9223372036854775808", "before:");
        naming.put("api/jobs?before=9223372036854775808", "before:");
        naming.put("api/jobs/count?cap=-1", "cap:");
        naming.put("api/jobs/count?cap=99999999999", "cap:");
        naming.put("api/audit?limit=NaN", "limit:");
        naming.put("api/workflows?limit=abc", "limit:");
        naming.put("api/batches?before=-1", "before:");
        naming.put("api/overview?span=" + "d".repeat(5_000), "span:");
        for (var request : naming.entrySet()) {
            RawReply reply = rawAsOperator("GET /ops/" + request.getKey() + " HTTP/1.1");
            assertRefused(shortened(request.getKey()), reply, 400, request.getValue());
        }
    }

    @Test
    void theRedirectToTheMountPathStaysOnItAndCarriesNoInjectedHeader() throws Exception {
        for (String request : List.of("GET /ops HTTP/1.1", "GET //ops HTTP/1.1", "GET /ops;%0d%0aSet-Cookie:%20a=b HTTP/1.1",
                "GET /ops?%0d%0aSet-Cookie:%20a=b HTTP/1.1")) {
            String response = raw(request + "\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
            List<String> head = List.of(response.substring(0, response.indexOf("\r\n\r\n")).toLowerCase(Locale.ROOT)
                    .split("\r\n"));
            assertThat(head.getFirst()).as(request).isIn("http/1.1 302 found", "http/1.1 400 bad request");
            assertThat(head).as(request).noneMatch(line -> line.startsWith("set-cookie:") || line.contains("evil.example"));
            if (head.getFirst().contains("302")) {
                assertThat(head).as(request).contains("location: /ops/");
            }
        }
    }

    @Test
    void aTokenFromAnotherServerOrAForgedLoginChangesNothing() throws Exception {
        Runnable unchanged = untouchedJob();
        long id = db.queryLong("select id from pgjobs.jobs");
        String stale;
        try (DashboardServer restarted = DashboardServer.start(new DashboardServlet(scheduler,
                BasicAuth.parse(DashboardFixture.USERS)), "127.0.0.1", 0, "/")) {
            stale = new HttpCalls(restarted.uri()).token("olga", "op-pw");
        }
        Map<String, String> tokens = Map.of(stale, "wrong X-PgJobs-Csrf token", "", "wrong X-PgJobs-Csrf token",
                http.token("olga", "op-pw") + "=", "wrong X-PgJobs-Csrf token", "x".repeat(4_000), "wrong X-PgJobs-Csrf token");
        for (var token : tokens.entrySet()) {
            Reply reply = HttpCalls.send(http.request("api/jobs/" + id + "/cancel", "olga", "op-pw")
                    .header("X-PgJobs-Csrf", token.getKey()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
            assertNoLeak("token " + shortened(token.getKey()), reply);
            assertThat(reply.status()).isEqualTo(403);
            assertThat(reply.body().get("error").asText()).isEqualTo(token.getValue());
        }
        // the token goes in its header only, never in the query or a cookie
        Reply inQuery = HttpCalls.send(http.request("api/jobs/" + id + "/cancel?X-PgJobs-Csrf=" + http.token("olga", "op-pw"),
                "olga", "op-pw").header("Cookie", "X-PgJobs-Csrf=" + http.token("olga", "op-pw"))
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(inQuery.status()).isEqualTo(403);
        assertThat(inQuery.body().get("error").asText()).startsWith("missing X-PgJobs-Csrf header");

        java.util.Base64.Encoder base64 = java.util.Base64.getEncoder();
        for (String authorization : List.of("Basic !!!", "Basic " + base64.encodeToString("mallory".getBytes(StandardCharsets.UTF_8)),
                "Basic " + base64.encodeToString("mallory:".getBytes(StandardCharsets.UTF_8)),
                "Basic " + base64.encodeToString("mallory:op-pw\u0000".getBytes(StandardCharsets.UTF_8)),
                "Bearer " + http.token("olga", "op-pw"), "Basic", "Digest username=\"olga\"")) {
            Reply reply = HttpCalls.send(HttpRequest.newBuilder(server.uri().resolve("api/jobs/" + id + "/cancel"))
                    .header("Authorization", authorization).header("Cookie", "JSESSIONID=forged-session")
                    .header("X-PgJobs-Csrf", http.token("olga", "op-pw")).POST(HttpRequest.BodyPublishers.noBody()).build());
            assertNoLeak(authorization, reply);
            assertThat(reply.status()).as(authorization).isEqualTo(401);
            assertThat(reply.body().get("error").asText()).isEqualTo("authentication required");
            assertThat(reply.header("WWW-Authenticate")).startsWith("Basic");
        }
        // a header too large to be read is refused by the server before the dashboard sees it, still as JSON
        RawReply huge = rawAsOperator("GET /ops/api/jobs HTTP/1.1\r\nCookie: JSESSIONID=" + "f".repeat(20_000));
        assertRefused("a 20 kB cookie", huge, 431, "Request Header Fields Too Large");
        unchanged.run();
    }
}
