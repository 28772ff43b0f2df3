package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.PartitionKey;
import io.pgjobs.Scheduler;
import io.pgjobs.admin.JobAction;
import io.pgjobs.internal.config.Config.QueueFlow;
import io.pgjobs.internal.store.Completion.Failure;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * V39's kept counts of running flow-controlled jobs ({@code flow_running}), which the flow claim reads instead of
 * counting jobs: every way a job leaves (or enters) {@code running} moves them, through pgjobs' own statements
 * (claim, completion of each kind, put-back, rescue, operator's actions) and through SQL that knows nothing of
 * them (a node of the previous release, an operator by hand). After each step the kept counts are what the jobs
 * say, and the claim takes exactly the slots that came back.
 */
class FlowRunningCountTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final QueueFlow ONE_PER_CUSTOMER = new QueueFlow(100, 1, PartitionKey.args("c"), null, null);
    private static final Failure FAILURE = new Failure("java.lang.IllegalStateException", "failed", null);

    private final FlowStore flow = new FlowStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs");
    private final ExecutionStore executions = new ExecutionStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
            "pgjobs_results_pgjobs", Duration.ofSeconds(30));
    private final MaintenanceStore maintenance = new MaintenanceStore(db.dataSource(), PgDatabase.SCHEMA,
            "pgjobs_pgjobs", "pgjobs_results_pgjobs");
    private Scheduler operator;

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
        operator = Scheduler.builder(db.dataSource()).migrateOnStart(false).build();
    }

    @AfterEach
    void close() {
        operator.close();
    }

    /** Two jobs for each customer: one for each in customer order, then the second of each. */
    private static void enqueueTwoEach(String... customers) throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue, args, max_attempts) "
                + "select 'k', 'q', jsonb_build_object('c', c), 5 "
                + "from unnest(array['" + String.join("', '", customers) + "']) with ordinality u(c, n), "
                + "generate_series(1, 2) g order by g, n");
    }

    private List<ClaimedJob> claim(String node, long leaseMs) throws Exception {
        List<ClaimedJob> claimed = new ArrayList<>(flow.claimFlow("q", List.of("k"), List.of(), 100, node, leaseMs,
                ONE_PER_CUSTOMER, Map.of()).jobs());
        claimed.sort(Comparator.comparing(ClaimedJob::argsJson));
        return claimed;
    }

    /** The kept counts that are not zero, as "queue/partition=n". */
    private static List<String> kept() throws Exception {
        return strings("select queue || '/' || partition || '=' || running from pgjobs.flow_running "
                + "where running <> 0 order by queue, partition");
    }

    /** What the jobs say, counted as the claim counted them before V39. */
    private static List<String> running() throws Exception {
        return strings("select queue || '/' || flow_partition || '=' || count(*) from pgjobs.jobs "
                + "where state = 'running' and flow_partition is not null "
                + "group by queue, flow_partition order by queue, flow_partition");
    }

    private static void assertCounts(String... expected) throws Exception {
        assertThat(running()).as("running jobs").containsExactly(expected);
        assertThat(kept()).as("kept counts").containsExactly(expected);
    }

    private static List<String> strings(String sql) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }

    @Test
    void everyWayOutOfRunningGivesItsSlotBack() throws Exception {
        String[] customers = {"complete", "snooze", "fail", "time-out", "discard", "cancel", "shut-down",
                "put-back", "rescue", "old-node", "delete"};
        enqueueTwoEach(customers);
        List<ClaimedJob> first = claim("n", 60_000);
        assertThat(first).hasSize(customers.length);
        List<String> all = new ArrayList<>();
        for (String customer : customers) {
            all.add("q/" + customer + "=1");
        }
        assertCounts(all.stream().sorted().toArray(String[]::new));
        assertThat(claim("n", 60_000)).as("every partition is full").isEmpty();

        // one completion batch with every way a handler's attempt ends, as the completer writes it
        Map<String, ClaimedJob> byCustomer = new HashMap<>();
        first.forEach(job -> byCustomer.put(job.argsJson().replaceAll(".*\"c\": \"([^\"]*)\".*", "$1"), job));
        executions.complete(List.of(
                Completion.succeeded(byCustomer.get("complete"), null),
                Completion.snoozed(byCustomer.get("snooze"), 60_000),
                Completion.retry(byCustomer.get("fail"), Outcome.FAILED, 60_000, FAILURE),
                Completion.retry(byCustomer.get("time-out"), Outcome.TIMEOUT, 60_000, FAILURE),
                Completion.discarded(byCustomer.get("discard"), Outcome.FAILED, FAILURE),
                Completion.cancelled(byCustomer.get("cancel"), FAILURE),
                Completion.putBack(byCustomer.get("shut-down"), "stopping")), "n", Duration.ofMinutes(1));
        assertCounts("q/delete=1", "q/old-node=1", "q/put-back=1", "q/rescue=1");

        // a job claimed and never started, put back as it was
        executions.release(List.of(byCustomer.get("put-back")), "n");
        assertCounts("q/delete=1", "q/old-node=1", "q/rescue=1");

        // the rescuer takes back a job whose lease ran out
        db.execute("update pgjobs.jobs set lease_expires_at = now() - interval '1 second' where id = "
                + byCustomer.get("rescue").id());
        assertThat(maintenance.rescueLostJobs(100, Duration.ofSeconds(30))).hasSize(1);
        assertCounts("q/delete=1", "q/old-node=1");

        // a node that knows nothing of the counts finishes its job with SQL of its own
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now(), lease_expires_at = null "
                + "where id = " + byCustomer.get("old-node").id());
        assertCounts("q/delete=1");

        // an operator's retry and delete leave a running job alone; a delete by hand uncounts it
        long deleted = byCustomer.get("delete").id();
        assertThat(operator.admin().act("alice", JobAction.RETRY, deleted)).isFalse();
        assertThat(operator.admin().act("alice", JobAction.DELETE, deleted)).isFalse();
        assertCounts("q/delete=1");
        db.execute("delete from pgjobs.jobs where id = " + deleted);
        assertCounts();

        // the slots are free: the claim takes every partition's next job that is due (the snoozed, failed and
        // timed-out ones wait a minute; the put-back ones are first of their customers again)
        List<ClaimedJob> second = claim("n", 60_000);
        assertThat(second).hasSize(customers.length);
        assertThat(kept()).hasSize(customers.length);
        assertCounts(running().toArray(String[]::new));
    }

    @Test
    void anOperatorsCancelOfARunningJobEndsItAndItsSlotWhenItsNodeStopsIt() throws Exception {
        enqueueTwoEach("a");
        ClaimedJob job = claim("gone", 1).getFirst();
        assertThat(operator.admin().act("alice", JobAction.CANCEL, job.id())).isTrue();
        assertCounts("q/a=1");
        // its node is gone: once its lease ran out the rescuer ends it cancelled
        assertThat(maintenance.rescueLostJobs(100, Duration.ofSeconds(30))).hasSize(1);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'cancelled'")).isEqualTo(1);
        assertCounts();
        assertThat(claim("n", 60_000)).hasSize(1);
        assertCounts("q/a=1");
    }

    @Test
    void runningJobsInsertedOrDeletedByHandAreCountedAndTruncateForgetsThem() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue, state, attempt, node_id, started_at, lease_expires_at, "
                + "flow_partition) select 'k', 'q', 'running', 1, 'n', now(), now() + interval '1 minute', p "
                + "from unnest(array['x', 'x', 'y']) p");
        assertCounts("q/x=2", "q/y=1");
        db.execute("delete from pgjobs.jobs where flow_partition = 'y'");
        assertCounts("q/x=2");
        db.execute("truncate pgjobs.jobs");
        assertThat(strings("select queue from pgjobs.flow_running")).isEmpty();
    }

    @Test
    void aQueueLimitCountsTheQueuesPartitionsTogether() throws Exception {
        enqueueTwoEach("a", "b", "c", "d");
        QueueFlow three = new QueueFlow(3, 1, PartitionKey.args("c"), null, null);
        assertThat(flow.claimFlow("q", List.of("k"), List.of(), 10, "n", 60_000, three, Map.of()).jobs()).hasSize(3);
        assertCounts("q/a=1", "q/b=1", "q/c=1");
        assertThat(flow.claimFlow("q", List.of("k"), List.of(), 10, "n", 60_000, three, Map.of()).jobs()).isEmpty();
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() "
                + "where state = 'running' and args->>'c' = 'b'");
        assertCounts("q/a=1", "q/c=1");
        List<ClaimedJob> next = flow.claimFlow("q", List.of("k"), List.of(), 10, "n", 60_000, three, Map.of()).jobs();
        assertThat(next).extracting(ClaimedJob::argsJson).containsExactly("{\"c\": \"d\"}");
    }

    /**
     * A count too low (which only a statement that bypassed the triggers makes) is read as zero, not below: the
     * claim then takes the partition's limit, not more.
     */
    @Test
    void aCountIsNeverReadBelowZero() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue, args) select 'k', 'q', '{\"c\": \"a\"}' "
                + "from generate_series(1, 3)");
        claim("n", 60_000);
        db.execute("update pgjobs.flow_running_tallies set jobs = 0 where entered"); // as if its entry was missed
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where state = 'running'");
        assertThat(strings("select running::text from pgjobs.flow_running")).containsExactly("0");
        assertThat(claim("n", 60_000)).hasSize(1);
    }
}
