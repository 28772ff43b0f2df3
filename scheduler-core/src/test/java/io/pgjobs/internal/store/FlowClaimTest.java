package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.OrderedKeys;
import io.pgjobs.PartitionKey;
import io.pgjobs.RateLimit;
import io.pgjobs.internal.config.Config.QueueFlow;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Tries;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The claim of a queue with flow control (claim_flow_jobs: V15's, its walk V30's), statement by statement. */
class FlowClaimTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private final FlowStore store = new FlowStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs");

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs");
    }

    private List<ClaimedJob> claim(int limit, QueueFlow limits) throws Exception {
        return store.claimFlow("q", List.of("k"), List.of(), limit, "n", 60_000, limits, Map.of()).jobs();
    }

    private static List<Long> ids(List<ClaimedJob> jobs) {
        return jobs.stream().map(ClaimedJob::id).sorted().toList();
    }

    @Test
    void takesNoJobBeyondTheQueueLimitAndTakesMoreWhenRunningJobsEnd() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue) select 'k', 'q' from generate_series(1, 10)");
        QueueFlow three = new QueueFlow(3, null, null, null, null);

        List<ClaimedJob> first = claim(10, three);
        assertThat(first).hasSize(3);
        assertThat(claim(10, three)).isEmpty();

        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where id = " + first.getFirst().id());
        assertThat(claim(10, three)).hasSize(1);
        db.execute("update pgjobs.jobs set state = 'retryable', run_at = now() + interval '1 hour' "
                + "where id = " + first.get(1).id()); // a failed job waiting for its retry holds no slot
        assertThat(claim(10, three)).hasSize(1);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'running'")).isEqualTo(3);
    }

    @Test
    void takesAtMostThePartitionLimitPerKeyInClaimOrder() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue, args) select 'k', 'q', jsonb_build_object('c', c) "
                + "from unnest(array['a', 'a', 'a', 'b', 'b', 'c']) c");
        QueueFlow onePerCustomer = new QueueFlow(null, 1, PartitionKey.args("c"), null, null);

        List<ClaimedJob> first = claim(10, onePerCustomer);
        assertThat(first).extracting(ClaimedJob::argsJson)
                .containsExactlyInAnyOrder("{\"c\": \"a\"}", "{\"c\": \"b\"}", "{\"c\": \"c\"}");
        long firstOfA = db.queryLong("select min(id) from pgjobs.jobs where args->>'c' = 'a'");
        assertThat(ids(first)).contains(firstOfA);
        assertThat(claim(10, onePerCustomer)).isEmpty();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where flow_partition = 'a'")).isEqualTo(1);

        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where id = " + firstOfA);
        assertThat(claim(10, onePerCustomer)).extracting(ClaimedJob::id).containsExactly(firstOfA + 1);
    }

    @Test
    void aRequestsKeyWinsOverTheConfiguredPathAndJobsWithoutAKeyShareOnePartition() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue, metadata, partition_key) values "
                + "('k', 'q', '{\"tenant\": {\"id\": \"x\"}}', null), ('k', 'q', '{\"tenant\": {\"id\": \"x\"}}', 'y'), "
                + "('k', 'q', '{}', null), ('k', 'q', '{}', null)");
        QueueFlow onePerTenant = new QueueFlow(null, 1, PartitionKey.metadata("tenant", "id"), null, null);

        assertThat(claim(10, onePerTenant)).hasSize(3);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'running' "
                + "and flow_partition in ('x', 'y', '')")).isEqualTo(3);
    }

    @Test
    void bothLimitsAtOnceAndAClaimNeverTakesMoreThanAsked() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue, partition_key) select 'k', 'q', 'p' || (i % 4) "
                + "from generate_series(1, 40) i");
        QueueFlow limits = new QueueFlow(5, 2, PartitionKey.requestKey(), null, null);

        assertThat(claim(1, limits)).hasSize(1);
        assertThat(claim(10, limits)).hasSize(4);
        assertThat(claim(10, limits)).isEmpty();
        assertThat(db.queryLong("select max(n) from (select count(*) n from pgjobs.jobs where state = 'running' "
                + "group by partition_key) p")).isLessThanOrEqualTo(2);
    }

    /** A queue's jobs as a try sets them up: their partitions in claim order, and which of them run. */
    private record Backlog(List<Integer> priorities, List<Integer> partitions, List<Boolean> running,
                           Integer queueLimit, int partitionLimit, int claimLimit) {}

    /**
     * Whatever the backlog, a claim takes the first waiting jobs in claim order that fit: its partition's running
     * jobs and the jobs of the partition taken before it under the partition limit, and no more than the room
     * under the queue limit and the claim's own limit (the choice V15 made in one statement, V30 in a loop that
     * stops once it has chosen).
     */
    @Test
    void aClaimTakesTheFirstJobsInClaimOrderThatFitTheirPartitionAndTheQueue() {
        Tries.check(60, any -> {
            int jobs = (int) any.between(1, 300);
            int partitions = (int) any.between(1, 40);
            return new Backlog(any.listOf(jobs, jobs, () -> (int) any.between(0, 2)),
                    any.listOf(jobs, jobs, () -> (int) any.between(0, partitions - 1)),
                    any.listOf(jobs, jobs, () -> any.chance(0.2)),
                    any.chance(0.5) ? null : (int) any.between(1, 60), (int) any.between(1, 3),
                    (int) any.between(1, 40));
        }, backlog -> {
            db.execute("truncate pgjobs.jobs");
            StringBuilder rows = new StringBuilder();
            for (int i = 0; i < backlog.partitions().size(); i++) {
                boolean running = backlog.running().get(i);
                rows.append(i == 0 ? "" : ", ").append("('k', 'q', ").append(backlog.priorities().get(i))
                        .append(", 'p").append(backlog.partitions().get(i)).append("', ")
                        .append(running ? "'running', 'p" + backlog.partitions().get(i) + "')" : "'available', null)");
            }
            db.execute("insert into pgjobs.jobs (kind, queue, priority, partition_key, state, flow_partition) values "
                    + rows);
            List<Long> expected = firstThatFit(backlog);

            List<ClaimedJob> claimed = claim(backlog.claimLimit(),
                    new QueueFlow(backlog.queueLimit(), backlog.partitionLimit(), PartitionKey.requestKey(), null, null));

            assertThat(ids(claimed)).isEqualTo(expected);
        });
    }

    /** The jobs a claim of {@code backlog} must take, found by walking its waiting jobs in claim order here. */
    private static List<Long> firstThatFit(Backlog backlog) throws Exception {
        List<Long> waiting = new ArrayList<>();
        List<String> waitingPartitions = new ArrayList<>();
        Map<String, Integer> running = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id, partition_key, state from pgjobs.jobs "
                     + "order by priority, run_at, id")) {
            while (rs.next()) {
                if (rs.getString(3).equals("running")) {
                    running.merge(rs.getString(2), 1, Integer::sum);
                } else {
                    waiting.add(rs.getLong(1));
                    waitingPartitions.add(rs.getString(2));
                }
            }
        }
        int runningInAll = running.values().stream().mapToInt(Integer::intValue).sum();
        int free = backlog.queueLimit() == null ? backlog.claimLimit()
                : Math.min(backlog.claimLimit(), backlog.queueLimit() - runningInAll);
        List<Long> taken = new ArrayList<>();
        for (int i = 0; i < waiting.size() && taken.size() < free; i++) {
            if (running.getOrDefault(waitingPartitions.get(i), 0) < backlog.partitionLimit()) {
                taken.add(waiting.get(i));
                running.merge(waitingPartitions.get(i), 1, Integer::sum);
            }
        }
        return taken.stream().sorted().toList();
    }

    @Test
    void aPausedQueueIsNotClaimed() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue) values ('k', 'q')");
        db.execute("insert into pgjobs.queues (name, paused) values ('q', true)");
        try {
            assertThat(claim(10, new QueueFlow(3, null, null, null, null))).isEmpty();
        } finally {
            db.execute("delete from pgjobs.queues");
        }
    }

    /**
     * The claim's sort is "disabled" to its planner, which on PostgreSQL before 18 makes its estimate cross
     * jit_above_cost: every claim was JIT-compiled (seconds each on PostgreSQL 15), so it runs without JIT.
     */
    @Test
    void theClaimRunsWithoutJit() throws Exception {
        assertThat(db.queryLong("select count(*) from pg_proc where proname = 'claim_flow_jobs' "
                + "and 'jit=off' = any(proconfig)")).isEqualTo(1);
    }

    // ---- ordered keys ----------------------------------------------------------------------------------------

    private static final QueueFlow MOVE_ON = new QueueFlow(null, null, null, OrderedKeys.MOVE_ON_WHEN_DISCARDED, null);
    private static final QueueFlow BLOCK = new QueueFlow(null, null, null, OrderedKeys.BLOCK_WHEN_DISCARDED, null);

    /** Inserts jobs of ordering key {@code key}, in this order; returns their ids. */
    private static List<Long> ordered(String key, int count) throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue, ordering_key) select 'k', 'q', '" + key
                + "' from generate_series(1, " + count + ")");
        List<Long> ids = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id from pgjobs.jobs where ordering_key = '" + key + "' order by id")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    private static void setState(long id, String state, String runAt) throws Exception {
        db.execute("update pgjobs.jobs set state = '" + state + "', run_at = " + runAt
                + (state.equals("completed") || state.equals("discarded") || state.equals("cancelled")
                        ? ", finished_at = now()" : "") + " where id = " + id);
    }

    @Test
    void takesOnlyTheFirstJobOfEachKeyAndTheNextOnceItHasEnded() throws Exception {
        List<Long> a = ordered("a", 3);
        List<Long> b = ordered("b", 2);
        db.execute("insert into pgjobs.jobs (kind, queue) values ('k', 'q')"); // no key: not held back
        long unkeyed = db.queryLong("select max(id) from pgjobs.jobs");

        assertThat(ids(claim(10, MOVE_ON))).containsExactly(a.get(0), b.get(0), unkeyed);
        assertThat(claim(10, MOVE_ON)).isEmpty();
        setState(a.get(0), "completed", "run_at");
        setState(b.get(0), "cancelled", "run_at");
        assertThat(ids(claim(10, MOVE_ON))).containsExactly(a.get(1), b.get(1));
    }

    @Test
    void aJobWaitingForItsRetryOrSnoozedHoldsItsKey() throws Exception {
        List<Long> a = ordered("a", 2);
        List<Long> b = ordered("b", 2);
        setState(a.get(0), "retryable", "now() + interval '1 hour'");
        setState(b.get(0), "scheduled", "now() + interval '1 hour'");

        assertThat(claim(10, MOVE_ON)).isEmpty();
    }

    @Test
    void aDiscardedJobBlocksItsKeyOrNotAsTheQueueChose() throws Exception {
        List<Long> a = ordered("a", 2);
        setState(a.get(0), "discarded", "run_at");

        assertThat(claim(10, BLOCK)).isEmpty();
        assertThat(ids(claim(10, MOVE_ON))).containsExactly(a.get(1));
    }

    /** A job that became visible after a later job of its key started waits for it, then runs. */
    @Test
    void aJobOfAKeyWaitsWhileAnotherOfItsKeyRunsWhateverTheirOrder() throws Exception {
        List<Long> a = ordered("a", 2);
        setState(a.get(1), "running", "run_at");

        assertThat(claim(10, MOVE_ON)).isEmpty();
        setState(a.get(1), "completed", "run_at");
        assertThat(ids(claim(10, MOVE_ON))).containsExactly(a.get(0));
    }

    /** The first jobs of the keys come after a long run of jobs of one key, and the walk finds them. */
    @Test
    void jobsHeldBackByTheirKeyDoNotHideTheFirstJobsOfOtherKeys() throws Exception {
        List<Long> a = ordered("a", 5_000);
        List<Long> b = ordered("b", 1);

        assertThat(ids(claim(10, MOVE_ON))).containsExactly(a.get(0), b.get(0));
    }

    // ---- rate limits -----------------------------------------------------------------------------------------

    @Test
    void aRateLimitLetsABurstStartAndThenOneJobPerInterval() throws Exception {
        db.execute("delete from pgjobs.rate_limits");
        db.execute("insert into pgjobs.jobs (kind, queue, partition_key) select 'k', 'q', 'p' || (i % 2) "
                + "from generate_series(1, 20) i");
        QueueFlow hourly = new QueueFlow(null, null, null, null,
                RateLimit.of(3, Duration.ofHours(3)).burst(2)); // one an hour, two at once after a quiet spell

        assertThat(claim(10, hourly)).hasSize(2);
        assertThat(claim(10, hourly)).isEmpty();

        db.execute("update pgjobs.rate_limits set tat = tat - interval '1 hour'"); // an hour passed
        assertThat(claim(10, hourly)).hasSize(1);
        assertThat(claim(10, hourly)).isEmpty();
    }

    @Test
    void aRateLimitPerPartitionCountsEachPartitionApart() throws Exception {
        db.execute("delete from pgjobs.rate_limits");
        db.execute("insert into pgjobs.jobs (kind, queue, partition_key) select 'k', 'q', 'p' || (i % 3) "
                + "from generate_series(1, 30) i");
        QueueFlow perPartition = new QueueFlow(null, null, PartitionKey.requestKey(), null,
                RateLimit.of(1, Duration.ofHours(1)).perPartition(PartitionKey.requestKey()));

        assertThat(claim(10, perPartition)).extracting(ClaimedJob::id).hasSize(3);
        assertThat(claim(10, perPartition)).isEmpty();
        assertThat(db.queryLong("select count(*) from pgjobs.rate_limits where queue = 'q'")).isEqualTo(3);
    }
}
