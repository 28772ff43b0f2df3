package io.pgjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.PartitionKey;
import io.pgjobs.internal.Config.QueueLimits;
import io.pgjobs.internal.JobStore.ClaimedJob;
import io.pgjobs.testing.PgDatabase;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The claim of a queue with cluster-wide limits (V15's claim_limited_jobs), statement by statement. */
class LimitedClaimTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private final FlowStore store = new FlowStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs");

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs");
    }

    private List<ClaimedJob> claim(int limit, QueueLimits limits) throws Exception {
        return store.claimLimited("q", List.of("k"), limit, "n", 60_000, limits);
    }

    private static List<Long> ids(List<ClaimedJob> jobs) {
        return jobs.stream().map(ClaimedJob::id).sorted().toList();
    }

    @Test
    void takesNoJobBeyondTheQueueLimitAndTakesMoreWhenRunningJobsEnd() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue) select 'k', 'q' from generate_series(1, 10)");
        QueueLimits three = new QueueLimits(3, null, null);

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
        QueueLimits onePerCustomer = new QueueLimits(null, 1, PartitionKey.args("c"));

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
        QueueLimits onePerTenant = new QueueLimits(null, 1, PartitionKey.metadata("tenant", "id"));

        assertThat(claim(10, onePerTenant)).hasSize(3);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'running' "
                + "and flow_partition in ('x', 'y', '')")).isEqualTo(3);
    }

    @Test
    void bothLimitsAtOnceAndAClaimNeverTakesMoreThanAsked() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue, partition_key) select 'k', 'q', 'p' || (i % 4) "
                + "from generate_series(1, 40) i");
        QueueLimits limits = new QueueLimits(5, 2, PartitionKey.requestKey());

        assertThat(claim(1, limits)).hasSize(1);
        assertThat(claim(10, limits)).hasSize(4);
        assertThat(claim(10, limits)).isEmpty();
        assertThat(db.queryLong("select max(n) from (select count(*) n from pgjobs.jobs where state = 'running' "
                + "group by partition_key) p")).isLessThanOrEqualTo(2);
    }

    @Test
    void aPausedQueueIsNotClaimed() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue) values ('k', 'q')");
        db.execute("insert into pgjobs.queues (name, paused) values ('q', true)");
        try {
            assertThat(claim(10, new QueueLimits(3, null, null))).isEmpty();
        } finally {
            db.execute("delete from pgjobs.queues");
        }
    }
}
