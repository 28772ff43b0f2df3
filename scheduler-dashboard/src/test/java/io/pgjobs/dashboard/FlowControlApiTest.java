package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgjobs.JobRequest;
import io.pgjobs.NonRetryableException;
import io.pgjobs.OrderedKeys;
import io.pgjobs.PartitionKey;
import io.pgjobs.RateLimit;
import io.pgjobs.Scheduler;
import io.pgjobs.dashboard.DashboardFixture.Fixture;
import io.pgjobs.dashboard.HttpCalls.Reply;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The flow-control endpoints (docs/dashboard.md): api/flow's shape with redacted keys, the circuit controls and
 * the skip of a discarded key holder, audited under the signed-in user; and hostile input, which always gets a
 * JSON error naming the problem, never a 5xx.
 */
class FlowControlApiTest {
    @RegisterExtension
    static final DashboardFixture dashboard = DashboardFixture.withUsers("/").started()
            .truncatingBeforeEach("pgjobs.jobs, pgjobs.attempts, pgjobs.audit_log, pgjobs.circuits, pgjobs.partition_circuits")
            .scheduler(builder -> builder.nodeId("node-1").pollInterval(Duration.ofMillis(200))
                .queue("ledger", 3).orderedKeys("ledger", OrderedKeys.BLOCK_WHEN_DISCARDED)
                .queue("api", 2).rateLimit("api", RateLimit.of(60, Duration.ofMinutes(1)).perPartition(PartitionKey.args("tenant")))
                .handler("ledger.post", Map.class, ctx -> {
                    if (Boolean.TRUE.equals(ctx.args().get("broken"))) {
                        throw new NonRetryableException("posting " + ctx.args() + " failed");
                    }
                    return null;
                }));
    @Fixture private static PgDatabase db;
    @Fixture private static Scheduler scheduler;
    @Fixture private static HttpCalls http;

    /** A card number: the redactor's default value pattern hides it wherever it appears as text. */
    private static final String CARD_KEY = "card 4111 1111 1111 1111";

    private static Reply get(String path) throws Exception {
        return http.get(path, "victor", "view-pw");
    }

    private static Reply post(String path, Object body) throws Exception {
        return http.post(path, "olga", "op-pw", body);
    }

    private static long enqueue(String key, boolean broken) {
        return scheduler.client().enqueue(JobRequest.of("ledger.post", Map.of("broken", broken)).queue("ledger")
                .orderingKey(key)).id();
    }

    @Test
    void flowShowsEachQueuesSettingsAndStateWithKeysRedactedAndTheSkipLetsTheKeyGoOn() throws Exception {
        long broken = enqueue(CARD_KEY, true);
        long next = enqueue(CARD_KEY, false);
        Await.until(Duration.ofSeconds(30), "the key's first job discarded",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'discarded'") == 1);

        Reply flow = get("api/flow");
        assertThat(flow.status()).isEqualTo(200);
        Map<String, JsonNode> queues = new HashMap<>();
        flow.body().get("queues").forEach(q -> queues.put(q.get("queue").asText(), q));
        assertThat(queues).containsOnlyKeys("ledger", "api");
        JsonNode ledger = queues.get("ledger");
        assertThat(ledger.get("settings").get("orderedKeys").asText()).isEqualTo("BLOCK_WHEN_DISCARDED");
        assertThat(ledger.get("nodes").get(0).asText()).isEqualTo("node-1");
        assertThat(ledger.get("concurrency").asInt()).isEqualTo(3);
        JsonNode key = ledger.get("blockedKeys").get(0);
        assertThat(key.get("holderJobId").asLong()).isEqualTo(broken);
        assertThat(key.get("reason").asText()).isEqualTo("discarded");
        assertThat(key.get("waiting").asLong()).isEqualTo(1);
        assertThat(key.get("orderingKey").asText()).startsWith("card ").doesNotContain("4111");
        JsonNode api = queues.get("api");
        assertThat(api.get("settings").get("rateLimit").get("count").asInt()).isEqualTo(60);
        assertThat(api.get("settings").get("rateLimit").get("period").asText()).isEqualTo("PT1M");
        assertThat(api.get("settings").get("rateLimit").get("partitionKey").get("path").get(0).asText()).isEqualTo("tenant");
        assertThat(flow.body().get("circuits").isArray()).isTrue();

        // the job page carries the request's keys, redacted as text too
        JsonNode job = get("api/jobs/" + broken).body().get("job");
        assertThat(job.get("orderingKey").asText()).startsWith("card ").doesNotContain("4111");
        assertThat(job.get("partitionKey").isNull()).isTrue();

        assertThat(http.post("api/jobs/" + broken + "/skip", "victor", "view-pw", Map.of()).status())
                .as("viewers do not act").isEqualTo(403);
        Reply skipped = post("api/jobs/" + broken + "/skip", Map.of());
        assertThat(skipped.status()).isEqualTo(200);
        assertThat(skipped.body().get("changed").asBoolean()).isTrue();
        Await.until(Duration.ofSeconds(30), "the next job of the key completed", () -> db.queryLong(
                "select count(*) from pgjobs.jobs where state = 'completed' and id = " + next) == 1);
        assertThat(post("api/jobs/" + broken + "/skip", Map.of()).body().get("changed").asBoolean())
                .as("a cancelled job holds nothing").isFalse();
        JsonNode audit = get("api/audit?action=skip_blocking_job").body();
        assertThat(audit).hasSize(1);
        assertThat(audit.get(0).get("actor").asText()).isEqualTo("olga");
        assertThat(audit.get(0).get("target").asText()).isEqualTo("job:" + broken);
    }

    @Test
    void operatorsOpenCloseAndResetACircuitAuditedUnderTheirName() throws Exception {
        Reply opened = post("api/circuits/partner.call/open", Map.of("coolDownSeconds", 600));
        assertThat(opened.status()).isEqualTo(200);
        JsonNode circuit = get("api/flow").body().get("circuits").get(0);
        assertThat(circuit.get("kind").asText()).isEqualTo("partner.call");
        assertThat(circuit.get("state").asText()).isEqualTo("open");
        assertThat(circuit.get("reason").asText()).isEqualTo("opened by olga");

        assertThat(post("api/circuits/partner.call/close", Map.of()).status()).isEqualTo(200);
        assertThat(get("api/flow").body().get("circuits").get(0).get("state").asText()).isEqualTo("closed");
        assertThat(post("api/circuits/partner.call/reset", Map.of()).status()).isEqualTo(200);
        assertThat(get("api/flow").body().get("circuits")).isEmpty();

        List<String> actions = new java.util.ArrayList<>();
        get("api/audit").body().forEach(e -> actions.add(e.get("actor").asText() + " " + e.get("action").asText()
                + " " + e.get("target").asText()));
        assertThat(actions).containsExactly("olga reset_circuit kind:partner.call", "olga close_circuit kind:partner.call",
                "olga open_circuit kind:partner.call");
    }

    @Test
    void operatorsCloseAndResetAPartitionsCircuitWhoseNameComesInTheBody() throws Exception {
        String partition = "tenant/42 " + CARD_KEY;
        Reply opened = post("api/partition-circuits/partner.call/open", Map.of("partition", "", "coolDownSeconds", 600));
        assertThat(opened.status()).isEqualTo(200);
        assertThat(opened.body().get("partition").asText()).isEmpty();
        assertThat(post("api/partition-circuits/partner.call/open", Map.of("partition", partition)).status())
                .isEqualTo(200);
        JsonNode circuits = get("api/flow").body().get("partitionCircuits");
        assertThat(circuits).hasSize(2);
        assertThat(circuits.get(0).get("partition").asText()).isEmpty();
        assertThat(circuits.get(0).get("state").asText()).isEqualTo("open");
        assertThat(circuits.get(0).get("reason").asText()).isEqualTo("opened by olga");
        assertThat(circuits.get(1).get("partition").asText()).as("redacted as text").startsWith("tenant/42 card ")
                .doesNotContain("4111");

        assertThat(post("api/partition-circuits/partner.call/close", Map.of("partition", "")).status()).isEqualTo(200);
        assertThat(get("api/flow").body().get("partitionCircuits")).as("only those not closed").hasSize(1);
        assertThat(post("api/partition-circuits/partner.call/reset", Map.of("partition", partition)).status())
                .isEqualTo(200);
        assertThat(get("api/flow").body().get("partitionCircuits")).isEmpty();
        assertThat(db.queryLong("select count(*) from pgjobs.partition_circuits")).as("the closed one stays").isOne();

        List<String> actions = new java.util.ArrayList<>();
        get("api/audit").body().forEach(e -> actions.add(e.get("actor").asText() + " " + e.get("action").asText()
                + " " + e.get("target").asText()));
        assertThat(actions).containsExactly("olga reset_partition_circuit kind:partner.call",
                "olga close_partition_circuit kind:partner.call", "olga open_partition_circuit kind:partner.call",
                "olga open_partition_circuit kind:partner.call");

        assertError(post("api/partition-circuits/partner.call/open", Map.of()), 400, "partition: required");
        assertError(post("api/partition-circuits/partner.call/close", Map.of("partition", 42)), 400, "partition: required");
        assertError(post("api/partition-circuits/partner.call/open", Map.of("partition", "a\u0000b")), 400, "partition");
        assertError(post("api/partition-circuits/%20/close", Map.of("partition", "")), 400, "kind");
        assertError(post("api/partition-circuits/partner.call/open", Map.of("partition", "", "coolDownSeconds", 0)),
                400, "coolDown");
        // the kind's circuits are per partition: its own circuit would stop none of its jobs
        assertError(post("api/circuits/partner.call/open", Map.of()), 400,
                "kind: 'partner.call' has a circuit per partition (CircuitBreaker.perPartition)");
        assertThat(get("api/flow").body().get("circuits")).as("no circuit of the kind's own").isEmpty();
        assertThat(db.queryLong("select count(*) from pgjobs.audit_log")).as("refused actions write nothing").isEqualTo(4);
    }

    @Test
    void hostileInputGetsAJsonErrorNamingTheProblemAndChangesNothing() throws Exception {
        assertError(post("api/circuits/partner.call/open", Map.of("coolDownSeconds", 0)), 400, "coolDown");
        assertError(post("api/circuits/partner.call/open", Map.of("coolDownSeconds", 90_000)), 400, "coolDown");
        assertError(post("api/circuits/partner.call/open", Map.of("coolDownSeconds", "soon")), 400, "coolDownSeconds");
        assertError(post("api/circuits/" + "k".repeat(201) + "/open", Map.of()), 400, "kind");
        assertError(post("api/circuits/%20/close", Map.of()), 400, "kind");
        // an encoded NUL in the path: Jetty refuses it before the dashboard sees it, still as JSON
        assertError(post("api/circuits/%00/close", Map.of()), 400, "Bad Request");
        assertError(post("api/circuits/a%2Fb/close", Map.of()), 400,
                "path: an encoded '/' (%2F) in a path is ambiguous");
        assertError(post("api/jobs/99999999999999999999/skip", Map.of()), 400, "id");
        assertError(post("api/jobs/x/skip", Map.of()), 400, "id: expected a job id");
        assertError(get("api/circuits/partner.call/open"), 405, "POST");
        assertError(http.get("api/flow/extra", "victor", "view-pw"), 404, "no such endpoint");
        assertError(post("api/flow", Map.of()), 405, "GET");
        // no CSRF token: refused before anything runs
        assertError(HttpCalls.send(http.request("api/circuits/partner.call/open", "olga", "op-pw")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build()),
                403, "");
        // asked ahead (Expect: 100-continue), as a client sending a large body does: the refusal comes before the
        // body, which the server never reads; sent at once, the body's rest met a closed connection (a flaky reply)
        assertError(HttpCalls.send(http.request("api/circuits/partner.call/open", "olga", "op-pw")
                .header("X-PgJobs-Csrf", http.token("olga", "op-pw")).header("Content-Type", "application/json")
                .expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofString("{\"coolDownSeconds\": \"" + "9".repeat(3_000_000) + "\"}"))
                .build()), 400, "body: larger than");
        assertError(post("api/circuits/partner.call/open", Map.of("coolDownSeconds", "9".repeat(2_000))), 400,
                "coolDownSeconds: must be at most");
        // closing or resetting a circuit that does not exist: a 404, not a circuit created to be closed, nor audited
        assertError(post("api/circuits/no.such.kind/close", Map.of()), 404, "kind: no circuit for a kind named 'no.such.kind'");
        assertError(post("api/circuits/no.such.kind/reset", Map.of()), 404, "kind: no circuit for a kind named 'no.such.kind'");
        assertError(post("api/partition-circuits/partner.call/close", Map.of("partition", "acme")), 404,
                "partition: no circuit of the kind 'partner.call' for a partition named 'acme'");
        assertError(post("api/partition-circuits/partner.call/reset", Map.of("partition", "")), 404,
                "partition: no circuit of the kind 'partner.call' for a partition named ''");
        assertThat(db.queryLong("select count(*) from pgjobs.partition_circuits")).isZero();
        assertThat(get("api/flow").body().get("circuits")).as("nothing was opened").isEmpty();
        assertThat(db.queryLong("select count(*) from pgjobs.audit_log")).isZero();
        // a job that does not exist is a 404; one that holds no key is not skipped
        assertError(post("api/jobs/123456789/skip", Map.of()), 404, "id: no job 123456789");
    }

    private static void assertError(Reply reply, int status, String naming) {
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(status);
        assertThat(reply.body()).as("a JSON body").isNotNull();
        assertThat(reply.body().get("error").asText()).contains(naming).doesNotContainIgnoringCase("select ");
    }
}
