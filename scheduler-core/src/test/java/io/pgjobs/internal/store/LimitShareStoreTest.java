package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.internal.config.Config.QueueFlow;
import io.pgjobs.internal.store.LimitShareStore.Grant;
import io.pgjobs.testing.PgDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shares of a queue limit (V44's lease_limit_share), statement by statement, and the flow claim of nodes of
 * the release before (claim_flow_jobs, called as they call it) beside them.
 */
class LimitShareStoreTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final long LEASE_MS = 60_000;
    private final LimitShareStore shares = new LimitShareStore(db.dataSource(), PgDatabase.SCHEMA);
    private final FlowStore flow = new FlowStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs");

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs; delete from pgjobs.limit_shares");
    }

    private Grant lease(String node, int wanted, int keep) throws Exception {
        return shares.lease("q", node, 10, wanted, keep, LEASE_MS);
    }

    private static long held() throws Exception {
        return db.queryLong("select coalesce(sum(slots), 0) from pgjobs.limit_shares where queue = 'q' and expires_at > now()");
    }

    @Test
    void aNodeGetsWhatItWantsOfWhatIsFreeAndTheSharesNeverSumPastTheLimit() throws Exception {
        assertThat(lease("a", 7, 0).slots()).isEqualTo(7);
        assertThat(lease("b", 7, 0).slots()).as("what is left").isEqualTo(3);
        assertThat(lease("c", 4, 0).slots()).as("nothing is left").isZero();
        assertThat(held()).isEqualTo(10);
        assertThat(db.queryLong("select count(*) from pgjobs.limit_shares where expires_at between "
                + "now() + interval '59 seconds' and now() + interval '60 seconds'")).as("leased for the lease").isEqualTo(3);
    }

    @Test
    void aNodeHoldingEverythingGivesItsExcessBackAsItsJobsEndAndTheOtherGetsIt() throws Exception {
        assertThat(lease("a", 10, 0).slots()).isEqualTo(10);
        Grant b = lease("b", 10, 0);
        assertThat(b.slots()).isZero();
        assertThat(b.fair()).isEqualTo(5);

        Grant a = lease("a", 10, 10);
        assertThat(a.othersWaiting()).as("b waits").isTrue();
        assertThat(a.slots()).as("a's ten jobs still execute: it keeps them").isEqualTo(10);
        assertThat(lease("a", 10, 3).slots()).as("three execute: a keeps its fair part").isEqualTo(5);
        assertThat(lease("b", 10, 0).slots()).as("b gets what a gave back").isEqualTo(5);
        assertThat(lease("a", 10, 5).othersWaiting()).as("b has its fair part").isFalse();
        assertThat(held()).isEqualTo(10);
    }

    @Test
    void theLimitIsDividedAmongTheNodesThatWantSlotsTheRemainderToTheFirst() throws Exception {
        lease("a", 10, 0);
        lease("b", 10, 0);
        Grant c = lease("c", 10, 0);
        assertThat(c.fair()).isEqualTo(3);
        assertThat(lease("a", 10, 0).fair()).as("the first in node order gets the remainder").isEqualTo(4);
        assertThat(lease("a", 10, 0).slots()).isEqualTo(4);
        assertThat(lease("b", 10, 0).slots()).isEqualTo(3);
        assertThat(lease("c", 10, 0).slots()).isEqualTo(3);
        assertThat(lease("c", 0, 0).slots()).as("c gives its share back").isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.limit_shares where node_id = 'c'")).as("c's row").isZero();
        assertThat(lease("b", 10, 0).slots()).as("b takes its new fair part, a being below its own").isEqualTo(5);
        assertThat(lease("a", 10, 0).slots()).as("a takes the rest").isEqualTo(5);
    }

    @Test
    void anExpiredShareCountsForNothing() throws Exception {
        lease("a", 10, 0);
        db.execute("update pgjobs.limit_shares set expires_at = now() - interval '1 millisecond' where node_id = 'a'");
        assertThat(lease("b", 10, 0).slots()).isEqualTo(10);
        assertThat(db.queryLong("select count(*) from pgjobs.limit_shares where node_id = 'a'"))
                .as("the expired share, deleted").isZero();
        assertThat(lease("a", 10, 4).slots()).as("a, frozen past its share's end, gets nothing back").isZero();
    }

    @Test
    void theClaimsOfTheReleaseBeforeLeaveRoomForTheSharesAndTheSharesForTheirJobs() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue) select 'k', 'q' from generate_series(1, 20)");
        QueueFlow limitOfTen = new QueueFlow(10, null, null, null, null);
        assertThat(lease("a", 6, 0).slots()).isEqualTo(6);
        assertThat(oldClaim(limitOfTen)).as("an old node's claim: the limit less a's share").hasSize(4);
        assertThat(oldClaim(limitOfTen)).isEmpty();
        assertThat(lease("b", 10, 0).slots()).as("no room beside a's share and the old node's jobs").isZero();

        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where id in "
                + "(select id from pgjobs.jobs where state = 'running' order by id limit 2)");
        assertThat(lease("b", 10, 0).slots()).as("the two slots the old node's jobs left").isEqualTo(2);
        assertThat(oldClaim(limitOfTen)).isEmpty();

        db.execute("update pgjobs.limit_shares set expires_at = now() - interval '1 millisecond' where node_id = 'a'");
        assertThat(oldClaim(limitOfTen)).as("a's expired share no longer counts").hasSize(6);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'running'") + held())
                .as("running jobs the claims count plus unexpired shares").isEqualTo(10);
    }

    /** A claim as nodes of stop 29's release (schema V42) make it for a queue limited as a whole. */
    private List<ClaimedJob> oldClaim(QueueFlow limits) throws Exception {
        return flow.claimFlow("q", List.of("k"), List.of(), 10, "old", LEASE_MS, limits, Map.of()).jobs();
    }
}
