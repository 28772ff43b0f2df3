package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.Uniqueness;
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
 * What the API shows an operator of flow control (progress, checkpoints, maximum depths, unique keys), of jobs no
 * node handles, of a dead-letter group's jobs, and of the audit log by actor, action and time.
 */
class OperatorViewsApiTest {
    // the scheduler is never started: no node is alive, so every due job is one no live node handles
    @RegisterExtension
    static final DashboardFixture dashboard = DashboardFixture.withUsers("/").truncatingBeforeEach(
            "pgjobs.jobs, pgjobs.attempts, pgjobs.audit_log, pgjobs.queues, pgjobs.nodes,"
                    + " pgjobs.job_stats, pgjobs.queue_lag");
    @Fixture private static PgDatabase db;
    @Fixture private static Scheduler scheduler;
    @Fixture private static HttpCalls http;

    private static Reply get(String path) throws Exception {
        return http.get(path, "victor", "view-pw");
    }

    private static Reply post(String path, Object body) throws Exception {
        return http.post(path, "olga", "op-pw", body);
    }

    private static long enqueue(String kind, String queue, Map<String, Object> args) {
        return scheduler.client().enqueue(JobRequest.of(kind, args).queue(queue)).id();
    }

    @Test
    void theJobPageShowsProgressAndTheCheckpointRedactedLikeArgs() throws Exception {
        long id = enqueue("export", "default", Map.of("n", 1));
        JsonNode before = get("api/jobs/" + id).body().get("job");
        assertThat(before.get("progress").isNull()).as("never reported").isTrue();
        assertThat(before.get("checkpoint").isNull()).isTrue();

        db.execute("update pgjobs.jobs set state = 'retryable', progress = 40, progress_message = 'page 8 of 20',"
                + " checkpoint = '{\"page\": 8, \"api_key\": \"sk-live-1\"}' where id = " + id);
        JsonNode job = get("api/jobs/" + id).body().get("job");
        assertThat(job.get("progress").asInt()).isEqualTo(40);
        assertThat(job.get("progressMessage").asText()).isEqualTo("page 8 of 20");
        assertThat(job.get("checkpoint").get("page").asInt()).isEqualTo(8);
        assertThat(job.get("checkpoint").get("api_key").asText()).isEqualTo(Redactor.REDACTED);
    }

    @Test
    void dueJobsNoLiveNodeHandlesAreListedByQueueAndKind() throws Exception {
        enqueue("mail.send", "mail", Map.of());
        enqueue("mail.send", "mail", Map.of());
        enqueue("report.build", "reports", Map.of());

        JsonNode unhandled = get("api/unhandled-kinds").body();
        List<String> groups = new ArrayList<>();
        unhandled.forEach(g -> groups.add(g.get("queue").asText() + "/" + g.get("kind").asText() + "=" + g.get("jobs").asLong()));
        assertThat(groups).containsExactly("mail/mail.send=2", "reports/report.build=1");
    }

    @Test
    void queuesShowTheirMaximumDepthWhereSet() throws Exception {
        enqueue("mail.send", "mail", Map.of());
        enqueue("report.build", "reports", Map.of());
        db.execute("insert into pgjobs.queues (name, max_depth) values ('mail', 500)");

        Map<String, JsonNode> byName = new java.util.HashMap<>();
        get("api/queues").body().forEach(q -> byName.put(q.get("name").asText(), q));
        assertThat(byName.get("mail").get("maxDepth").asInt()).isEqualTo(500);
        assertThat(byName.get("reports").get("maxDepth").isNull()).isTrue();
    }

    @Test
    void eachQueuesLastHourComesPerMinuteForItsSparklines() throws Exception {
        db.execute("insert into pgjobs.job_stats (minute, queue, kind, state, jobs, duration_ms) values"
                + " (date_trunc('minute', now()) - interval '5 minutes', 'mail', 'mail.send', 'completed', 12, 1200),"
                + " (date_trunc('minute', now()) - interval '5 minutes', 'mail', 'mail.send', 'discarded', 2, 100),"
                + " (date_trunc('minute', now()), 'mail', 'mail.send', 'retryable', 3, 30)");
        db.execute("insert into pgjobs.queue_lag (minute, queue, lag_ms, waiting, running) values"
                + " (date_trunc('minute', now()) - interval '2 minutes', 'mail', 4500, 10, 1),"
                + " (date_trunc('minute', now()) - interval '2 minutes', 'idle', 0, 0, 0)");

        JsonNode activity = get("api/queues/activity?span=hour").body();
        assertThat(activity).hasSize(2);
        JsonNode idle = activity.get(0);
        assertThat(idle.get("queue").asText()).isEqualTo("idle");
        assertThat(idle.get("stats")).as("nothing finished").isEmpty();
        assertThat(idle.get("lag")).hasSize(1);
        JsonNode mail = activity.get(1);
        JsonNode stats = mail.get("stats");
        assertThat(stats).as("a point per minute of the hour").hasSize(60);
        assertThat(stats.get(54).get("completed").asLong()).isEqualTo(12);
        assertThat(stats.get(54).get("discarded").asLong()).isEqualTo(2);
        assertThat(stats.get(59).get("failed").asLong()).isEqualTo(3);
        assertThat(stats.get(58).get("completed").asLong()).as("a minute without work").isZero();
        assertThat(mail.get("lag")).hasSize(1);
        assertThat(mail.get("lag").get(0).get("lagMs").asLong()).isEqualTo(4500);
        assertThat(mail.get("lag").get(0).get("start").asText()).isEqualTo(stats.get(57).get("start").asText());

        assertThat(get("api/queues/activity?span=week").body().get("error").asText()).startsWith("span: must be hour or day");
    }

    @Test
    void schedulesReadAsASentenceBesideTheSchedulersOwnDescription() throws Exception {
        db.execute("truncate pgjobs.schedules, pgjobs.schedule_runs");
        db.execute("insert into pgjobs.schedules (name, expression, kind) values ('weekly-report', '0 9 * * MON', 'report.build'),"
                + " ('quartz', '0 0 12 L * ?', 'report.build')");
        Map<String, JsonNode> byName = new java.util.HashMap<>();
        get("api/schedules").body().forEach(s -> byName.put(s.get("name").asText(), s));
        assertThat(byName.get("weekly-report").get("summary").asText()).isEqualTo("at 09:00 on Mondays");
        assertThat(byName.get("quartz").get("summary").asText()).isEqualTo(byName.get("quartz").get("description").asText())
                .isEqualTo("at 12:00 last day of month");
    }

    @Test
    void aRetryThatWouldTakeAUniqueKeyAnotherJobHoldsIsAConflictThatSaysSo() throws Exception {
        JobRequest unique = JobRequest.of("report.build", Map.of("customer", 7)).unique(Uniqueness.byArgs());
        long finished = scheduler.client().enqueue(unique).id();
        db.execute("update pgjobs.jobs set state = 'discarded', finished_at = now()");
        long holder = scheduler.client().enqueue(JobRequest.of("report.build", Map.of("customer", 7))
                .unique(Uniqueness.byArgs())).id();
        assertThat(holder).isNotEqualTo(finished);

        Reply one = post("api/jobs/" + finished + "/retry", Map.of());
        assertThat(one.status()).isEqualTo(409);
        assertThat(one.body().get("error").asText()).isEqualTo("job " + finished + " cannot be retried: it is unique,"
                + " and another job of the same kind, queue and args holds its unique key now");
        Reply bulk = post("api/bulk", Map.of("action", "retry", "ids", List.of(finished)));
        assertThat(bulk.status()).isEqualTo(409);
        assertThat(bulk.body().get("error").asText()).startsWith("job " + finished + " cannot be retried");
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'discarded'")).as("nothing changed").isEqualTo(1);
        assertThat(db.queryLong("select count(*) from pgjobs.audit_log")).as("nor audited").isZero();
    }

    @Test
    void theExplorerCountsJobsPerStateAndPerQueueAndKindOfTheNewest() throws Exception {
        enqueue("mail.send", "mail", Map.of());
        enqueue("mail.send", "mail", Map.of());
        enqueue("mail.digest", "mail", Map.of());
        long cancelled = enqueue("report.build", "reports", Map.of());
        db.execute("update pgjobs.jobs set state = 'cancelled', finished_at = now() where id = " + cancelled);

        JsonNode counts = get("api/jobs/counts").body();
        assertThat(counts.get("states").get("AVAILABLE").get("value").asLong()).isEqualTo(3);
        assertThat(counts.get("states").get("CANCELLED").get("value").asLong()).isEqualTo(1);
        assertThat(counts.get("states").get("COMPLETED").get("value").asLong()).isZero();
        assertThat(counts.get("queues").toString()).isEqualTo("{\"mail\":3,\"reports\":1}");
        assertThat(counts.get("kinds").toString()).isEqualTo("{\"mail.send\":2,\"mail.digest\":1,\"report.build\":1}");
        assertThat(counts.get("window").asInt()).isEqualTo(10_000);
    }

    @Test
    void eachDeadLetterGroupListsItsJobsAndABadFingerprintIsRefused() throws Exception {
        long timeout1 = enqueue("charge", "billing", Map.of("n", 1));
        long timeout2 = enqueue("charge", "billing", Map.of("n", 2));
        long refused = enqueue("charge", "billing", Map.of("n", 3));
        enqueue("charge", "billing", Map.of("n", 4));
        db.execute("update pgjobs.jobs set state = 'discarded', finished_at = now(), last_error ="
                + " 'java.net.SocketTimeoutException: read timed out after ' || id || ' ms' where id in (" + timeout1 + ", " + timeout2 + ")");
        db.execute("update pgjobs.jobs set state = 'discarded', finished_at = now(), last_error ="
                + " 'java.lang.IllegalStateException: card refused' where id = " + refused);

        JsonNode groups = get("api/dead-letters").body();
        String fingerprint = null;
        for (JsonNode g : groups) {
            if (g.get("errorClass").asText().equals("java.net.SocketTimeoutException")) {
                fingerprint = g.get("fingerprint").asText();
            }
        }
        assertThat(fingerprint).isNotNull();
        List<Long> ids = new ArrayList<>();
        get("api/jobs?deadLetterGroup=" + fingerprint).body().get("jobs").forEach(j -> ids.add(j.get("id").asLong()));
        assertThat(ids).containsExactly(timeout2, timeout1);
        assertThat(get("api/jobs/count?deadLetterGroup=" + fingerprint).body().get("value").asLong()).isEqualTo(2);

        Reply bad = get("api/jobs?deadLetterGroup=nothex");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().get("error").asText()).startsWith("deadLetterGroup: must be a dead-letter group's fingerprint");
        Reply contradicting = get("api/jobs?state=available&deadLetterGroup=" + fingerprint);
        assertThat(contradicting.status()).isEqualTo(400);
        assertThat(contradicting.body().get("error").asText()).startsWith("deadLetterGroup: dead letters are discarded");
    }

    @Test
    void theAuditLogFiltersByActorActionAndTimeAndShowsABulkFilterByItsFields() throws Exception {
        long id = enqueue("mail.send", "mail", Map.of());
        assertThat(post("api/jobs/" + id + "/cancel", Map.of()).status()).isEqualTo(200);
        assertThat(post("api/bulk", Map.of("action", "delete", "queue", "mail", "state", "cancelled")).status()).isEqualTo(200);
        db.execute("insert into pgjobs.audit_log (at, actor, action, target) values"
                + " ('2020-03-01T10:00:00Z', 'olga', 'pause_queue', 'queue:mail'),"
                + " ('2020-03-02T10:00:00Z', 'ivan', 'pause_queue', 'queue:mail')");

        // newest first by id: the entries inserted last come first whatever their time
        assertThat(actions("api/audit?actor=olga")).containsExactly("pause_queue", "bulk_delete", "cancel");
        assertThat(actions("api/audit?action=pause_queue")).containsExactly("pause_queue", "pause_queue");
        assertThat(actions("api/audit?actor=ivan&action=pause_queue")).containsExactly("pause_queue");
        assertThat(actions("api/audit?from=2020-03-01T00:00:00Z&to=2020-03-02T00:00:00Z")).containsExactly("pause_queue");
        assertThat(actions("api/audit?from=2021-01-01T00:00:00Z")).containsExactly("bulk_delete", "cancel");

        JsonNode bulk = get("api/audit?action=bulk_delete").body().get(0).get("detail");
        assertThat(bulk.get("filter").toString()).isEqualTo("{\"queue\":\"mail\",\"states\":[\"cancelled\"]}");

        for (String[] bad : new String[][] {{"action", "DROP TABLE"}, {"from", "yesterday"}, {"to", "+999999999-01-01T00:00:00Z"}}) {
            Reply reply = get("api/audit?" + bad[0] + "=" + URLEncoder.encode(bad[1], StandardCharsets.UTF_8));
            assertThat(reply.status()).as(bad[0]).isEqualTo(400);
            assertThat(reply.body().get("error").asText()).startsWith(bad[0] + ":");
        }
        Reply backwards = get("api/audit?from=2021-01-01T00:00:00Z&to=2020-01-01T00:00:00Z");
        assertThat(backwards.body().get("error").asText()).isEqualTo("from: must be before to");
    }

    @Test
    void theClockIsTheDatabasesAndShowsASchedulesClockMovedAway() throws Exception {
        long before = db.queryLong("select (extract(epoch from clock_timestamp()) * 1000)::bigint");
        JsonNode clock = get("api/clock").body();
        long after = db.queryLong("select (extract(epoch from clock_timestamp()) * 1000)::bigint");
        assertThat(java.time.Instant.parse(clock.get("now").asText()).toEpochMilli()).isBetween(before - 1, after + 1);
        assertThat(clock.get("schedules").asText()).isEqualTo(clock.get("now").asText());

        // what a test kit run against this database leaves behind (docs/testing.md)
        db.execute("create or replace function pgjobs.schedule_clock() returns timestamptz language sql stable"
                + " as $$ select now() + interval '3 hours' $$");
        try {
            JsonNode moved = get("api/clock").body();
            assertThat(java.time.Duration.between(java.time.Instant.parse(moved.get("now").asText()),
                    java.time.Instant.parse(moved.get("schedules").asText()))).isEqualTo(java.time.Duration.ofHours(3));
        } finally {
            db.execute("create or replace function pgjobs.schedule_clock() returns timestamptz language sql stable"
                    + " parallel safe as $$ select now() $$");
        }
    }

    private static List<String> actions(String path) throws Exception {
        Reply reply = get(path);
        assertThat(reply.status()).as(path + ": " + reply.body()).isEqualTo(200);
        List<String> actions = new ArrayList<>();
        reply.body().forEach(e -> actions.add(e.get("action").asText()));
        return actions;
    }
}
