package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.dashboard.DashboardFixture.Fixture;
import io.pgjobs.dashboard.HttpCalls.Reply;
import io.pgjobs.testing.PgDatabase;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the outside check sends, round two: each action's refusals name the field the request sent, and fields the
 * action does not take, fields given twice, bodies that are not UTF-8 JSON and text no database column can hold are
 * each a 4xx naming the problem that changes nothing and audits nothing.
 */
class HostileRequestsTest {
    // never started: nothing claims the jobs, so any change to them is the dashboard's
    @RegisterExtension
    static final DashboardFixture dashboard = DashboardFixture.withUsers("/").truncatingBeforeEach(
            "pgjobs.jobs, pgjobs.attempts, pgjobs.audit_log, pgjobs.queues, pgjobs.schedules, pgjobs.schedule_runs");
    @Fixture private static PgDatabase db;
    @Fixture private static Scheduler scheduler;
    @Fixture private static HttpCalls http;

    private long job;

    @BeforeEach
    void oneDiscardedJob() throws Exception {
        job = scheduler.client().enqueue(JobRequest.of("test.hostile", Map.of("n", 1)).queue("mail")).id();
        db.execute("update pgjobs.jobs set state = 'discarded', finished_at = now(), last_error = 'boom' where id = " + job);
        db.execute("insert into pgjobs.schedules (name, expression, kind) values ('hourly', '0 * * * *', 'test.hostile')");
    }

    /** Nothing acted: the job is as it was and no action was audited. */
    private void nothingChanged(String after) throws Exception {
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).as(after).isEqualTo(1);
        assertThat(scheduler.client().get(job).orElseThrow().state().dbName()).as(after).isEqualTo("discarded");
        assertThat(db.queryLong("select count(*) from pgjobs.audit_log")).as(after).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.schedules where enabled")).as(after).isEqualTo(1);
    }

    private static void assertError(String request, Reply reply, int status, String startsWith) {
        assertThat(reply.status()).as(request + " -> " + reply.raw().body()).isEqualTo(status);
        assertThat(reply.header("Content-Type")).as(request).startsWith("application/json");
        assertThat(reply.body().get("error").asText()).as(request).startsWith(startsWith);
        assertThat(reply.raw().body().toLowerCase(Locale.ROOT)).as(request).doesNotContain("exception", "jackson", "\tat ");
    }

    private static Map<String, Object> body(Object... fieldsAndValues) {
        Map<String, Object> body = new LinkedHashMap<>();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            body.put((String) fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        return body;
    }

    /** {@code body} as JSON text (a lone surrogate written as an escape, since a Java string cannot carry it to UTF-8). */
    private record Refusal(String path, String body, String naming) {
        Refusal(String path, Map<String, Object> body, String naming) throws Exception {
            this(path, HttpCalls.JSON.writeValueAsString(body), naming);
        }
    }

    @Test
    void everyActionsRefusalNamesAFieldOfTheRequest() throws Exception {
        List<Long> tooMany = LongStream.rangeClosed(1, 1001).boxed().toList();
        List<Refusal> refusals = List.of(
                new Refusal("api/bulk", body("action", "delete", "ids", tooMany), "ids: must list 1 to 1000 job ids, got 1001"),
                new Refusal("api/bulk", body("action", "delete", "ids", List.of()), "ids: must list 1 to 1000 job ids, got 0"),
                new Refusal("api/bulk", body("action", "delete", "ids", List.of(1.5)), "ids: must be an array of job ids"),
                new Refusal("api/bulk", body("action", "delete", "ids", "1,2"), "ids: must be an array of job ids"),
                new Refusal("api/bulk", body("action", "delete", "ids", body("a", 1)), "ids: must be an array of job ids"),
                new Refusal("api/bulk", body("action", "delete", "ids", List.of(job), "state", "completed"),
                        "ids: act on listed jobs or on a filter, not both; drop state"),
                new Refusal("api/bulk", body("action", "delete", "ids", List.of(job), "batchSize", 5),
                        "ids: act on listed jobs or on a filter, not both; drop batchSize"),
                new Refusal("api/bulk", body("action", "delete", "ids", List.of(job, job)),
                        "ids: job " + job + " is listed more than once"),
                new Refusal("api/bulk", body("action", "delete", "ids", List.of(job, 0)),
                        "ids: must be an array of job ids (whole numbers, 1 or more), got '0'"),
                new Refusal("api/bulk", body("action", "delete", "ids", List.of(-5)),
                        "ids: must be an array of job ids (whole numbers, 1 or more), got '-5'"),
                // a second object, or anything after the first, would go unread: the first alone would be done
                new Refusal("api/bulk", "{\"action\": \"retry\", \"ids\": [" + job + "]}{\"action\": \"delete\"}",
                        "body: not valid JSON (line 1, column "),
                new Refusal("api/bulk", "{\"action\": \"delete\", \"ids\": [" + job + "]} trailing",
                        "body: not valid JSON (line 1, column "),
                new Refusal("api/jobs/" + job + "/clone", "{\"args\": {}} []", "body: not valid JSON (line 1, column "),
                new Refusal("api/bulk", body("ids", List.of(job)), "action: required"),
                new Refusal("api/bulk", body("action", null, "ids", List.of(job)), "action: required"),
                new Refusal("api/bulk", body("action", "purge", "ids", List.of(job)), "action: must be retry, cancel or delete"),
                new Refusal("api/bulk", body("action", "delete", "batchSize", 0), "batchSize: must be between 1 and 1000"),
                new Refusal("api/bulk", body("action", "delete", "batchSize", -1), "batchSize: must be between 1 and 1000"),
                new Refusal("api/bulk", body("action", "delete", "batchSize", 1e10), "batchSize: expected a whole number"),
                new Refusal("api/bulk", body("action", "delete", "cursor", "newest"), "cursor: expected a job id"),
                new Refusal("api/bulk", body("action", "delete", "state", "dead"), "state: unknown state 'dead'"),
                new Refusal("api/bulk", body("action", "delete", "createdFrom", "yesterday"), "createdFrom: expected an ISO-8601 instant"),
                new Refusal("api/bulk", body("action", "delete", "createdFrom", "2026-02-01T00:00:00Z", "createdTo",
                        "2026-01-01T00:00:00Z"), "createdFrom: must be before createdTo"),
                new Refusal("api/bulk", body("action", "delete", "args", "n ="), "args:"),
                new Refusal("api/bulk", body("action", "delete", "deadLetterGroup", "x"), "deadLetterGroup:"),
                new Refusal("api/bulk", "{\"action\": \"delete\", \"queue\": \"a\\ud800\"}", "queue: contains"),
                new Refusal("api/bulk", "{\"action\": \"delete\", \"tag\": \"a\\udfffb\"}", "tag: contains"),
                new Refusal("api/bulk", "{\"action\": \"\\udc00\", \"ids\": [1]}", "action: must be retry, cancel or delete"),
                new Refusal("api/jobs/" + job + "/clone", "{\"args\": {\"note\": \"\\ud800\"}}", "args:"),
                new Refusal("api/jobs/" + job + "/clone", "{\"args\": {\"note\\u0000\": 1}}",
                        "args: must not contain the NUL character"),
                new Refusal("api/jobs/" + job + "/clone", body("args", List.of(1)), "args: must be a JSON object"),
                new Refusal("api/jobs/" + job + "/clone", "{\"args\": " + "[".repeat(5000) + "]".repeat(5000) + "}",
                        "body: not valid JSON: nested deeper than 1000 levels"),
                new Refusal("api/jobs/" + job + "/clone", "{\"args\": {\"n\": 1" + "0".repeat(5000) + "}}",
                        "body: not valid JSON: a number longer than 1000 characters"),
                new Refusal("api/jobs/" + job + "/clone", "{\"args\": {\"" + "k".repeat(60_000) + "\": 1}}",
                        "body: not valid JSON: a field name longer than 50000 characters"),
                new Refusal("api/jobs/" + job + "/clone", "{\"args\": {\"n\": 1e200000}}",
                        "args: the number 1E+200000 is out of range of PostgreSQL's numeric"),
                new Refusal("api/dead-letters/0123456789abcdef0123456789abcdef/delete", body("batchSize", 0),
                        "batchSize: must be between 1 and 1000"),
                new Refusal("api/circuits/test.hostile/open", body("coolDownSeconds", 0),
                        "coolDownSeconds: must be between 1 and 86400, got 0"),
                new Refusal("api/circuits/test.hostile/open", body("coolDownSeconds", 86_401),
                        "coolDownSeconds: must be between 1 and 86400, got 86401"),
                new Refusal("api/circuits/test.hostile/open", body("coolDownSeconds", -5),
                        "coolDownSeconds: must be between 1 and 86400, got -5"),
                new Refusal("api/circuits/test.hostile/close", body("coolDownSeconds", 60),
                        "coolDownSeconds: only opening a circuit takes a cool-down"),
                new Refusal("api/partition-circuits/test.hostile/open", body("partition", "p".repeat(1001)),
                        "partition: must be at most 1000 characters"),
                new Refusal("api/partition-circuits/test.hostile/close", body("partition", "p".repeat(100_000)),
                        "partition: must be at most 1000 characters"));
        for (Refusal refusal : refusals) {
            String request = "POST " + refusal.path() + " " + refusal.body();
            String shown = request.length() > 300 ? request.substring(0, 300) : request;
            assertError(shown, http.postRaw(refusal.path(), "olga", "op-pw", refusal.body()), 400, refusal.naming());
            nothingChanged(shown);
        }
        String first = "{\"action\": \"retry\", \"ids\": [" + job + "]}";
        Reply twoObjects = http.postRaw("api/bulk", "olga", "op-pw", first + " {\"action\": \"delete\"}");
        assertThat(twoObjects.body().get("error").asText()).isEqualTo("body: not valid JSON (line 1, column "
                + (first.length() + 2) + "): more after the object, which would go unread");
    }

    @Test
    void everyActionAndReadOfSomethingThatDoesNotExistIsA404NamingIt() throws Exception {
        Map<String, String> posts = new LinkedHashMap<>();
        for (String action : List.of("retry", "cancel", "delete", "skip", "clone")) {
            posts.put("api/jobs/123456789/" + action, "id: no job 123456789");
        }
        for (String action : List.of("cancel", "retry")) {
            posts.put("api/workflows/424242/" + action, "id: no workflow 424242");
        }
        for (String action : List.of("trigger", "pause", "resume")) {
            posts.put("api/schedules/nightly/" + action, "schedule: no schedule named 'nightly'");
        }
        for (String action : List.of("pause", "resume", "remove")) {
            posts.put("api/queues/nope/" + action, "queue: no queue named 'nope'");
        }
        for (var post : posts.entrySet()) {
            assertError("POST " + post.getKey(), http.post(post.getKey(), "olga", "op-pw", Map.of()), 404, post.getValue());
            nothingChanged("POST " + post.getKey());
        }
        Map<String, String> reads = Map.of("api/jobs/123456789", "id: no job 123456789",
                "api/jobs/123456789/groups", "id: no job 123456789", "api/workflows/424242", "id: no workflow 424242");
        for (var read : reads.entrySet()) {
            assertError("GET " + read.getKey(), http.get(read.getKey(), "victor", "view-pw"), 404, read.getValue());
        }
        // a known job whose state does not allow the action is no 404: it did not change
        Reply skip = http.post("api/jobs/" + job + "/cancel", "olga", "op-pw", Map.of());
        assertThat(skip.status()).isEqualTo(200);
        assertThat(skip.body().get("changed").asBoolean()).isFalse();
    }

    @Test
    void anIdInThePathThatIsNoIdIsA400NamingItNotAMissingEndpoint() throws Exception {
        // no whole number from 1 to 2^63 - 1: a sign, a fraction, zero, one past the largest, a digit of another
        // script (which Long.parseLong would read as 1), and 5,000 digits
        List<String> notIds = List.of("abc", "-1", "+1", "1.5", "0", "00", "9223372036854775808", "%D9%A1", "1%20",
                "9".repeat(5_000));
        Map<String, String> reads = Map.of("api/jobs/%s", "job", "api/jobs/%s/groups", "job",
                "api/workflows/%s", "workflow");
        List<String> posts = new ArrayList<>();
        for (String action : List.of("retry", "cancel", "delete", "skip", "clone")) {
            posts.add("api/jobs/%s/" + action);
        }
        posts.add("api/workflows/%s/cancel");
        posts.add("api/workflows/%s/retry");
        for (String notId : notIds) {
            for (var read : reads.entrySet()) {
                String path = read.getKey().formatted(notId);
                Reply reply = http.get(path, "victor", "view-pw");
                assertError("GET " + path, reply, 400, "id: expected a " + read.getValue()
                        + " id (a whole number between 1 and " + Long.MAX_VALUE + "), got '");
                assertThat(reply.body().get("error").asText()).as(path).hasSizeLessThan(300);
            }
            for (String post : posts) {
                String path = post.formatted(notId);
                String of = path.startsWith("api/workflows") ? "workflow" : "job";
                assertError("POST " + path, http.post(path, "olga", "op-pw", Map.of()), 400,
                        "id: expected a " + of + " id");
                nothingChanged("POST " + path);
            }
        }
        // the largest id there is, and one with leading zeros, are ids: there is no such job
        assertError("the largest id", http.get("api/jobs/" + Long.MAX_VALUE, "victor", "view-pw"), 404,
                "id: no job " + Long.MAX_VALUE);
        assertThat(http.get("api/jobs/000" + job, "victor", "view-pw").body().at("/job/id").asLong()).isEqualTo(job);
        assertError("a dead-letter group that is no fingerprint",
                http.post("api/dead-letters/xyz/retry", "olga", "op-pw", Map.of()), 400,
                "fingerprint: must be 32 hex digits, got xyz");
        nothingChanged("a dead-letter group that is no fingerprint");
    }

    @Test
    void anErrorQuotesAShortEscapedExcerptOfTheValueNeverTheWholeOfIt() throws Exception {
        // 1,000 characters (the most a parameter may have) that open with what a terminal, a log or a page would act on
        String opening = "\u001b[31m<script>alert(1)</script>\r\n\u202e\u200b";
        String hostile = opening + "x".repeat(1_000 - opening.length());
        String excerpt = "'\\u001b[31m<script>alert(1)</script>\\r\\n\\u202e\\u200b" + "x".repeat(100 - opening.length())
                + "…' (1000 characters)";
        String encoded = java.net.URLEncoder.encode(hostile, StandardCharsets.UTF_8);
        Map<String, String> reads = new LinkedHashMap<>();
        reads.put("api/jobs?createdFrom=" + encoded, "createdFrom: expected an ISO-8601 instant like 2026-01-31T12:00:00Z, got ");
        reads.put("api/jobs?state=" + encoded, "state: unknown state ");
        reads.put("api/jobs?limit=" + encoded, "limit: expected a whole number, got ");
        reads.put("api/overview?span=" + encoded, "span: must be hour or day, got ");
        reads.put("api/audit?before=" + encoded, "before: expected a job id, got ");
        reads.put("api/workflows?state=" + encoded, "state: must be one of ");
        for (var read : reads.entrySet()) {
            Reply reply = http.get(read.getKey(), "victor", "view-pw");
            assertError(read.getValue(), reply, 400, read.getValue());
            assertThat(reply.body().get("error").asText()).as(read.getValue()).contains(excerpt).hasSizeLessThan(400);
        }
        Reply action = http.post("api/bulk", "olga", "op-pw", body("action", hostile, "ids", List.of(job)));
        assertError("action", action, 400, "action: must be retry, cancel or delete, got " + excerpt);
        Reply field = http.post("api/bulk", "olga", "op-pw", body(hostile, 1));
        assertError("a field's name", field, 400, "body: unknown field " + excerpt + " (this action takes");
        Reply type = HttpCalls.send(http.request("api/bulk", "olga", "op-pw").header("X-PgJobs-Csrf", http.token("olga", "op-pw"))
                .header("Content-Type", "text/" + "x".repeat(500)).POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertError("a long Content-Type", type, 415, "Content-Type: must be application/json, got 'text/" + "x".repeat(95)
                + "…' (505 characters)");
        Reply origin = HttpCalls.send(http.request("api/bulk", "olga", "op-pw").header("X-PgJobs-Csrf", http.token("olga", "op-pw"))
                .header("Origin", "http://" + "x".repeat(500)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertError("a long Origin", origin, 403, "cross-origin request refused (Origin 'http://" + "x".repeat(93)
                + "…' (507 characters))");
        // a page that does not exist names nothing of the request; the page that does is the same whatever the query
        for (String page : List.of("nope.html?q=" + encoded, "%3Cscript%3Ealert(1)%3C.html")) {
            Reply reply = http.get(page, "victor", "view-pw");
            assertError(page, reply, 404, "no such page");
            assertThat(reply.raw().body()).as(page).doesNotContain("script").doesNotContain("xxx");
        }
        assertThat(http.get("?q=" + encoded, "victor", "view-pw").raw().body()).doesNotContain("<script>alert");
        nothingChanged("hostile values");
    }

    @Test
    void aUtf8ByteOrderMarkIsSkippedAndTheContentTypesCharsetMustBeUtf8() throws Exception {
        String token = http.token("olga", "op-pw");
        long waiting = scheduler.client().enqueue(JobRequest.of("test.hostile", Map.of("n", 2)).queue("mail")).id();
        byte[] withMark = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};
        Reply cancelled = HttpCalls.send(http.request("api/jobs/" + waiting + "/cancel", "olga", "op-pw")
                .header("X-PgJobs-Csrf", token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(withMark)).build());
        assertThat(cancelled.status()).as(cancelled.raw().body()).isEqualTo(200);
        assertThat(cancelled.body().get("changed").asBoolean()).isTrue();
        // a UTF-16 body, with its mark, is refused by name
        byte[] utf16 = {(byte) 0xFE, (byte) 0xFF, 0, '{', 0, '}'};
        Reply refused = HttpCalls.send(http.request("api/jobs/" + job + "/retry", "olga", "op-pw")
                .header("X-PgJobs-Csrf", token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(utf16)).build());
        assertError("UTF-16 with its mark", refused, 400, "body: not UTF-8 (it starts with a UTF-16 or UTF-32 byte-order mark)");
        for (String type : List.of("application/json; charset=iso-8859-1", "application/json;charset=\"UTF-16\"")) {
            Reply reply = HttpCalls.send(http.request("api/jobs/" + job + "/retry", "olga", "op-pw")
                    .header("X-PgJobs-Csrf", token).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
            assertError(type, reply, 415, "Content-Type: the body is read as UTF-8; charset '");
        }
        // no Content-Type at all: the body is read as JSON, and a body that is not JSON says so
        Reply untyped = HttpCalls.send(http.request("api/jobs/" + job + "/retry", "olga", "op-pw")
                .header("X-PgJobs-Csrf", token).POST(HttpRequest.BodyPublishers.ofString("action=retry")).build());
        assertError("no type, not JSON", untyped, 400, "body: not valid JSON (line 1, column ");
        db.execute("delete from pgjobs.jobs where id = " + waiting);
        db.execute("delete from pgjobs.audit_log");
        nothingChanged("charsets");
    }

    @Test
    void aFieldTheActionDoesNotTakeIsRefusedRatherThanDropped() throws Exception {
        // a misspelt filter field, dropped, would leave a filter that matches every job
        assertError("bulk delete with 'stat'", http.post("api/bulk", "olga", "op-pw", body("action", "delete", "stat", "completed")),
                400, "body: unknown field 'stat' (this action takes action, args, batchSize, createdFrom");
        Map<String, Map<String, Object>> misplaced = new LinkedHashMap<>();
        misplaced.put("api/jobs/" + job + "/retry", body("reason", "flaky"));
        misplaced.put("api/jobs/" + job + "/clone", body("args", body("n", 2), "queue", "other"));
        misplaced.put("api/schedules/hourly/pause", body("until", "tomorrow"));
        misplaced.put("api/dead-letters/0123456789abcdef0123456789abcdef/retry", body("action", "delete"));
        misplaced.put("api/queues/mail/pause", body("queue", "other"));
        for (var request : misplaced.entrySet()) {
            String field = request.getValue().keySet().stream().reduce((a, b) -> b).orElseThrow();
            assertError(request.getKey(), http.post(request.getKey(), "olga", "op-pw", request.getValue()), 400,
                    "body: unknown field '" + field + "'");
        }
        assertError("a key of 5,000 characters", http.post("api/bulk", "olga", "op-pw", body("x".repeat(5_000), 1)), 400,
                "body: unknown field '" + "x".repeat(100) + "…'");
        // an action's fields are its body's: one in the query string would be read by nothing, or contradict it
        Reply inQuery = HttpCalls.send(http.request("api/bulk?state=completed", "olga", "op-pw")
                .header("X-PgJobs-Csrf", http.token("olga", "op-pw")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"action\": \"delete\"}")).build());
        assertError("bulk with the state in its query", inQuery, 400, "query: an action takes its fields in its JSON body");
        nothingChanged("misplaced fields");
    }

    @Test
    void aParameterTheReadDoesNotTakeIsRefusedRatherThanDropped() throws Exception {
        // a misspelt filter, dropped, would list (or count) every job as if it were the filtered ones
        assertError("jobs with 'stat'", http.get("api/jobs?stat=failed", "victor", "view-pw"), 400,
                "query: unknown parameter 'stat' (this endpoint takes args, before, createdFrom, createdTo, "
                        + "deadLetterGroup, finishedFrom, finishedTo, kind, limit, queue, state, tag)");
        assertError("count with 'limit'", http.get("api/jobs/count?state=failed&limit=5", "victor", "view-pw"), 400,
                "query: unknown parameter 'limit' (this endpoint takes args, cap, createdFrom");
        Map<String, String> misplaced = new LinkedHashMap<>();
        misplaced.put("api/queues?name=mail", "name");
        misplaced.put("api/jobs/" + job + "?attempt=1", "attempt");
        misplaced.put("api/overview?span=day&queue=mail", "queue");
        misplaced.put("api/audit?user=olga", "user");
        misplaced.put("api/workflows?kind=x", "kind");
        misplaced.put("api/batches?page=2", "page");
        misplaced.put("api/session?x", "x");
        for (var request : misplaced.entrySet()) {
            assertError(request.getKey(), http.get(request.getKey(), "victor", "view-pw"), 400,
                    "query: unknown parameter '" + request.getValue() + "'");
        }
        Reply longName = http.get("api/nodes?" + "x".repeat(5_000) + "=1", "victor", "view-pw");
        assertError("a name of 5,000 characters", longName, 400,
                "query: unknown parameter '" + "x".repeat(100) + "…' (5000 characters) (this endpoint takes none)");
        // the parameters each read takes still work
        for (String query : List.of("api/jobs?state=discarded&limit=5&before=" + (job + 1),
                "api/jobs/count?cap=10&kind=k", "api/overview?span=day", "api/queues/activity?span=hour",
                "api/audit?actor=olga&limit=5",
                "api/workflows?state=running&name=n&limit=5", "api/batches?name=n&before=10", "api/queues")) {
            assertThat(http.get(query, "victor", "view-pw").status()).as(query).isEqualTo(200);
        }
    }

    @Test
    void aFieldOrParameterGivenTwiceIsRefusedNotReadOnce() throws Exception {
        Reply twice = http.postRaw("api/bulk", "olga", "op-pw", "{\"action\": \"retry\", \"state\": \"available\","
                + " \"action\": \"delete\"}");
        assertError("action twice", twice, 400, "body: not valid JSON (line 1, column ");
        assertThat(twice.body().get("error").asText()).endsWith("a field given twice, 'action'");
        nothingChanged("a field given twice");
        for (String query : List.of("api/jobs?state=discarded&state=completed", "api/jobs?limit=1&limit=500",
                "api/audit?actor=a&actor=b", "api/overview?span=hour&span=day", "api/workflows?name=a&name=b")) {
            Reply reply = http.get(query, "victor", "view-pw");
            assertError(query, reply, 400, query.replaceAll(".*\\?([a-z]+)=.*", "$1") + ": given 2 times; give it once");
        }
    }

    @Test
    void bodiesThatAreNotUtf8JsonAndTextNoColumnCanHoldAreRefusedNamingTheField() throws Exception {
        String token = http.token("olga", "op-pw");
        List<byte[]> bodies = new ArrayList<>();
        bodies.add(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});    // a broken sequence
        bodies.add(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}); // a surrogate
        bodies.add(new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 0, '{', 0, 0, 0});                     // UTF-32 LE's mark
        bodies.add(new byte[] {0, 0, (byte) 0xFF, (byte) 0xFE, 0, 0, 0, '{'});                     // UCS-4 unusual order
        bodies.add(new byte[] {0, '{', 0, '}'});                                                    // UTF-16 BE
        bodies.add(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}', (byte) 0x80});       // junk after the object
        bodies.add(new byte[] {' ', '\n', ' '});                                                    // blanks only
        for (byte[] bytes : bodies) {
            Reply reply = HttpCalls.send(http.request("api/bulk", "olga", "op-pw").header("X-PgJobs-Csrf", token)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
            assertThat(reply.status()).as(java.util.HexFormat.of().formatHex(bytes) + " -> " + reply.raw().body()).isEqualTo(400);
            assertThat(reply.body().get("error").asText()).startsWith("body:");
        }
        // deep nesting: refused whole, by Jackson's depth limit or the field's length
        assertError("nested 2,000 deep", http.postRaw("api/bulk", "olga", "op-pw",
                "{\"action\": \"delete\", \"state\": " + "[".repeat(2_000) + "]".repeat(2_000) + "}"), 400, "body: not valid JSON");
        assertError("nested 600 deep", http.postRaw("api/bulk", "olga", "op-pw",
                "{\"action\": \"delete\", \"state\": " + "[".repeat(600) + "]".repeat(600) + "}"), 400, "state: must be at most");
        nothingChanged("bodies");
    }

    @Test
    void controlAndUnicodeCharactersInFreeTextAreSearchedForAsText() throws Exception {
        String odd = "\u0001\u001b[31m\u202e\u200bé😀\r\n'\"%_\\";
        String encoded = java.net.URLEncoder.encode(odd, StandardCharsets.UTF_8);
        for (String path : List.of("api/jobs?queue=", "api/jobs?kind=", "api/jobs?tag=", "api/jobs/count?queue=",
                "api/audit?actor=", "api/workflows?name=", "api/batches?name=")) {
            Reply reply = http.get(path + encoded, "victor", "view-pw");
            assertThat(reply.status()).as(path).isEqualTo(200);
            assertThat(reply.raw().body()).as(path).doesNotContain("\"error\"");
        }
        // as a bulk action's filter it matches nothing, and so acts on nothing
        Reply bulk = http.post("api/bulk", "olga", "op-pw", body("action", "delete", "queue", odd));
        assertThat(bulk.status()).isEqualTo(200);
        assertThat(bulk.body().get("scanned").asInt()).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isEqualTo(1);
    }
}
