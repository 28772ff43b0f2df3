package io.pgjobs.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.internal.store.BusyQueueStore;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A fetcher's busy promise against the real table, on a clock the test moves: when the promise is written,
 * renewed and withdrawn, and how long the fetcher waits while it holds, in the grace after it, and after that.
 */
class BusyPollingTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    /** What the fetcher would wait on its own: the poll interval. */
    private static final Duration OWN_WAIT = Duration.ofSeconds(1);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AtomicLong clock = new AtomicLong(1_000_000 * MS);
    private BusyPolling polling;

    @BeforeEach
    void newFetcher() throws SQLException {
        db.execute("truncate pgjobs.busy_queues");
        polling = new BusyPolling(new BusyQueueStore(db.dataSource(), "pgjobs"), "q", "node-a", clock::get);
    }

    @Test
    void aFetcherThatClaimsFastEnoughPromisesAndPollsUntilItsClaimsFindNothing() throws Exception {
        assertThat(round(50, 200)).isEqualTo(OWN_WAIT);
        assertThat(round(10, 50)).as("60 jobs in a window: below the rate, no promise").isEqualTo(OWN_WAIT);
        assertThat(promiseRows()).isZero();
        assertThat(round(50, 10)).isEqualTo(OWN_WAIT);
        assertThat(round(50, 240)).as("100 jobs in 250 ms: the promise written, and polled").isEqualTo(BusyPolling.POLL);
        assertThat(promiseRows()).isEqualTo(1);
        assertThat(polling.pollsOnItsOwn()).isTrue();
        assertThat(polling.turnedBusy()).isEqualTo(1);
        assertThat(round(0, 0)).as("no claim sent (no free slot): still polling").isEqualTo(BusyPolling.POLL);
        assertThat(round(-1, 5)).isEqualTo(BusyPolling.POLL);
        assertThat(polling.afterRound(0, OWN_WAIT, true)).as("saturated: freed slots wake it").isEqualTo(OWN_WAIT);
        assertThat(round(0, 14)).as("nothing found for 19 ms, less than the idle time").isEqualTo(BusyPolling.POLL);
        assertThat(promiseRows()).isEqualTo(1);

        // 20 ms without finding anything: the promise is withdrawn, and the grace's polls back off
        List<Duration> grace = new ArrayList<>();
        grace.add(round(0, 1));
        assertThat(promiseRows()).as("withdrawn before its end").isZero();
        for (int i = 0; i < 8; i++) {
            grace.add(round(0, grace.getLast().toMillis()));
        }
        assertThat(grace).extracting(Duration::toMillis).containsExactly(2L, 4L, 8L, 16L, 32L, 64L, 64L, 64L, 64L);
        assertThat(round(3, 64)).as("a poll of the grace that found work: polls again at once").isEqualTo(BusyPolling.POLL);
        assertThat(round(0, 2)).isEqualTo(BusyPolling.POLL);
        assertThat(round(0, 2)).isEqualTo(Duration.ofMillis(4));
        assertThat(polling.pollsOnItsOwn()).as("in the grace").isTrue();
        assertThat(round(0, BusyPolling.GRACE.toMillis())).as("after the grace, the fetcher's own wait").isEqualTo(OWN_WAIT);
        assertThat(polling.pollsOnItsOwn()).isFalse();
        polling.withdrawOnStop();
        assertThat(db.queryLong("select count(*) from pgjobs.busy_queues")).isZero();
    }

    @Test
    void aBusyFetcherRenewsItsPromiseEveryWindowAndWithdrawsItWhenAWindowFallsBelowTheRate() throws Exception {
        round(100, 0);
        round(100, 250);
        assertThat(promiseRows()).isEqualTo(1);
        long firstEnd = db.queryLong("select (extract(epoch from polls_until) * 1000000)::bigint from pgjobs.busy_queues");
        // the database's clock has moved on, so that a renewal's end lies later than the first promise's
        Await.until(Duration.ofSeconds(30), "a renewal now would end later than the first promise",
                () -> db.queryLong("select (extract(epoch from clock_timestamp() + interval '1 second') * 1000000)"
                        + "::bigint") > firstEnd);
        for (int window = 0; window < 3; window++) {
            round(100, 125);
            assertThat(round(100, 125)).isEqualTo(BusyPolling.POLL);
        }
        assertThat(db.queryLong("select count(*) from pgjobs.busy_queues "
                + "where (extract(epoch from polls_until) * 1000000)::bigint > " + firstEnd))
                .as("renewed").isEqualTo(1);
        assertThat(round(10, 250)).as("a slow window: the promise withdrawn, the grace begins")
                .isEqualTo(BusyPolling.POLL);
        assertThat(db.queryLong("select count(*) from pgjobs.busy_queues")).isZero();
        assertThat(round(40, 125)).as("finding work in the grace keeps the fastest poll").isEqualTo(BusyPolling.POLL);
        assertThat(round(70, 125)).as("busy again: promised again").isEqualTo(BusyPolling.POLL);
        assertThat(promiseRows()).isEqualTo(1);
        assertThat(polling.turnedBusy()).as("the grace had not ended: not a turn of its own").isEqualTo(1);
    }

    @Test
    void aStoppingFetcherWithdrawsAPromiseThatEndedByItselfAndLeavesOtherNodesRowsAlone() throws Exception {
        db.execute("insert into pgjobs.busy_queues values ('q', 'node-b', clock_timestamp() + interval '1 minute')");
        round(100, 0);
        round(100, 250);
        assertThat(db.queryLong("select count(*) from pgjobs.busy_queues where node_id = 'node-a'")).isEqualTo(1);
        // the promise's end passed without a renewal (the fetcher stalled): it keeps polling through the grace
        assertThat(round(-1, BusyPolling.PROMISE.toMillis() + 1)).isEqualTo(BusyPolling.POLL);
        polling.withdrawOnStop();
        assertThat(polling.pollsOnItsOwn()).as("a stopped fetcher, at once").isFalse();
        assertThat(db.queryLong("select count(*) from pgjobs.busy_queues where node_id = 'node-a'")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.busy_queues where node_id = 'node-b'")).isEqualTo(1);
    }

    /** Moves the clock on by {@code elapsedMillis}, then ends a round that claimed {@code claimed} jobs. */
    private Duration round(int claimed, long elapsedMillis) throws Exception {
        clock.addAndGet(elapsedMillis * MS);
        return polling.afterRound(claimed, OWN_WAIT, false);
    }

    private long promiseRows() throws SQLException {
        return db.queryLong("select count(*) from pgjobs.busy_queues where queue = 'q' and node_id = 'node-a' "
                + "and polls_until > clock_timestamp()");
    }
}
