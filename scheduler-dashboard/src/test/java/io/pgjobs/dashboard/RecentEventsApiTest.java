package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.dashboard.DashboardFixture.Fixture;
import io.pgjobs.testing.PgDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The recent events page's API (docs/dashboard.md, "Recent events"): what the database keeps of the last day's
 * events, newest first, with errors and partitions redacted.
 */
class RecentEventsApiTest {
    // never started: the nodes and circuits are the rows the test writes
    @RegisterExtension
    static final DashboardFixture dashboard = DashboardFixture.withUsers("/").truncatingBeforeEach(
            "pgjobs.jobs, pgjobs.attempts, pgjobs.nodes, pgjobs.circuits, pgjobs.partition_circuits");
    @Fixture private static PgDatabase db;
    @Fixture private static Scheduler scheduler;
    @Fixture private static HttpCalls http;

    private static long discarded(String finishedAgo, String error) throws Exception {
        long id = scheduler.client().enqueue(JobRequest.of("mail.send", Map.of("to", "a@example.com")).queue("mail")).id();
        db.execute("update pgjobs.jobs set state = 'discarded', finished_at = now() - interval '" + finishedAgo
                + "', last_error = '" + error + "' where id = " + id);
        return id;
    }

    @Test
    void theLastDaysDiscardsCircuitsHoldingJobsAndNodesNewestFirstWithSecretsRedacted() throws Exception {
        long refused = discarded("90 minutes", "smtp refused: password=hunter2");
        long mismatch = discarded("1 hour", "args checksum mismatch: the args of job 1 do not hash to their stored SHA-256");
        discarded("2 days", "too old to show");
        db.execute("insert into pgjobs.circuits (kind, state, opened_at, retry_at, reason) values ('partner.call', 'open',"
                + " now() - interval '30 minutes', now() + interval '1 hour', 'opened by olga')");
        db.execute("insert into pgjobs.circuits (kind, state, reason) values ('quiet.kind', 'closed', 'probe job 1 succeeded')");
        db.execute("insert into pgjobs.partition_circuits (kind, partition, state, opened_at, retry_at, reason) values"
                + " ('webhook', 'card 4111 1111 1111 1111', 'open', now() - interval '10 minutes', now() + interval '1 hour',"
                + " '5 consecutive failures')");
        db.execute("insert into pgjobs.nodes (id, host, pid, version, started_at, heartbeat_at, leader_since) values"
                + " ('node-a', 'host-a', 1, '0.1.0', now() - interval '5 minutes', now(), now() - interval '4 minutes'),"
                + " ('node-b', 'host-b', 2, '0.1.0', now() - interval '3 hours', now() - interval '2 hours', null)");
        db.execute("insert into pgjobs.nodes (id, host, pid, version, started_at, heartbeat_at, stopped_at) values"
                + " ('node-old', 'host-c', 3, '0.1.0', now() - interval '3 days', now() - interval '3 days', now() - interval '3 days')");

        JsonNode events = http.get("api/events", "victor", "view-pw").body().get("events");
        List<String> shown = new ArrayList<>();
        events.forEach(e -> shown.add(e.get("type").asText() + " | " + e.get("subject").asText()));
        assertThat(shown).containsExactly(
                "node took the lead | node-a",
                "node started | node-a",
                "partition circuit open | webhook partition 'card [redacted]'",
                "circuit open | partner.call",
                "args checksum mismatch | mail.send in mail",
                "job discarded | mail.send in mail",
                "node silent | node-b",
                "node started | node-b");
        assertThat(events.get(4).get("jobId").asLong()).isEqualTo(mismatch);
        assertThat(events.get(5).get("jobId").asLong()).isEqualTo(refused);
        assertThat(events.get(5).get("detail").asText()).isEqualTo("smtp refused: password=[redacted]");
        assertThat(events.get(3).get("detail").asText()).isEqualTo("opened by olga");
    }

    @Test
    void aQuietDayHasNoEvents() throws Exception {
        assertThat(http.get("api/events", "victor", "view-pw").body().get("events")).isEmpty();
    }
}
