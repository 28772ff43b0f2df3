package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A claim must walk the runnable index in order and stop after its batch, whatever the planner's estimates
 * favour. In the benchmark's steady state on PostgreSQL 18, statistics taken while the queue was nearly empty
 * made the planner read every runnable job through a bitmap scan and sort them, for every claim of 50 (157 ms
 * each with 200,000 waiting). Here index scans are made to look bad to the session's planner instead, which
 * leads the claim's statement, run bare, to that same plan; the claim's function keeps walking the index. Pages
 * are counted, not time.
 */
class ClaimPlanTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final Pattern SHARED_HIT = Pattern.compile("shared hit=(\\d+)");
    /** The statement of V10's claim_jobs, without the function's planner settings. */
    private static final String BARE_CLAIM = """
            update pgjobs.jobs j
            set state = 'running', attempt = j.attempt + 1, started_at = now(), node_id = 'n',
                lease_expires_at = now() + interval '1 minute'
            where j.ctid = any(array(
                select c.ctid from pgjobs.jobs c
                where c.state in ('available', 'scheduled', 'retryable') and c.queue = 'default' and c.run_at <= now()
                  and c.kind = any('{k}')
                order by c.priority, c.run_at, c.id limit 50 for update of c skip locked))""";

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs");
    }

    @Test
    void aClaimReadsAFewPagesOfABigBacklogWhateverThePlannerEstimates() throws Exception {
        db.execute("insert into pgjobs.jobs (kind) select 'k' from generate_series(1, 200000)");
        db.execute("vacuum analyze pgjobs.jobs");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("set enable_indexscan = off"); // for the session, outside the transactions rolled back below
            c.setAutoCommit(false);
            s.execute("select count(*) from pgjobs.claim_jobs('default', '{k}', 1, 'n', 60000, null, null, null)"); // catalogs cached
            c.rollback();
            long bare = pagesRead(s, BARE_CLAIM);
            c.rollback();
            long claim = pagesRead(s, "select count(*) from pgjobs.claim_jobs('default', '{k}', 50, 'n', 60000, null, null, null)");
            c.rollback();

            // both counts hold the writes of 50 updated rows; the claim's also the planner's own probes of the
            // index (tens of pages, varying)
            assertThat(bare).as("pages the bare claim reads (every runnable job)").isGreaterThan(2_000);
            assertThat(claim).as("pages a claim of 50 reads").isLessThan(1_000).isLessThan(bare / 4);
        }
    }

    /**
     * Until a vacuum, the runnable index keeps an entry for every job claimed: a claim from its head walks them
     * all, a claim resuming after a position skips them.
     */
    @Test
    void aClaimAfterAPositionSkipsTheJobsClaimedBeforeIt() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, run_at) select 'k', now() - interval '1 hour' "
                + "from generate_series(1, 100000)");
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now()"); // claimed and done, not vacuumed
        db.execute("insert into pgjobs.jobs (kind) select 'k' from generate_series(1, 100)");
        String position;
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select priority, run_at::text, id from pgjobs.jobs "
                     + "where state = 'completed' order by priority desc, run_at desc, id desc limit 1")) {
            rs.next();
            position = "%d::smallint, '%s', %d".formatted(rs.getInt(1), rs.getString(2), rs.getLong(3));
        }
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("select count(*) from pgjobs.claim_jobs('default', '{k}', 1, 'n', 60000, null, null, null)");
            c.rollback(); // the walk from the head marked the dead entries; what follows reads only index pages
            long fromHead = pagesRead(s, "select count(*) from pgjobs.claim_jobs('default', '{k}', 5, 'n', 60000, "
                    + "null, null, null)");
            c.rollback();
            long resumed = pagesRead(s, "select count(*) from pgjobs.claim_jobs('default', '{k}', 5, 'n', 60000, "
                    + position + ")");
            c.rollback();

            assertThat(fromHead).as("pages a claim from the head reads").isGreaterThan(300);
            assertThat(resumed).as("pages a resumed claim reads").isLessThan(fromHead / 5);
        }
    }

    @Test
    void aClaimAfterAPositionTakesTheJobsAfterItInOrderAndAClaimFromTheHeadTheRest() throws Exception {
        db.execute("insert into pgjobs.jobs (kind, priority, run_at) values "
                + "('k', 5, '2026-01-01 00:00:01+00'), ('k', 5, '2026-01-01 00:00:02+00'), "
                + "('k', 5, '2026-01-01 00:00:02+00'), ('k', 7, '2026-01-01 00:00:00+00'), "
                + "('k', 1, '2026-01-01 00:00:03+00')");
        long second = db.queryLong("select min(id) from pgjobs.jobs where run_at = '2026-01-01 00:00:02+00'");
        String afterSecond = "5::smallint, '2026-01-01 00:00:02+00', " + second;
        assertThat(claimedIds(afterSecond)).containsExactly(second + 1, second + 2);
        assertThat(claimedIds("null, null, null")).containsExactly(second + 3, second - 1, second);
    }

    /** Ids of the jobs a claim of up to 10 takes after {@code position}, in claim order. */
    private static List<Long> claimedIds(String position) throws Exception {
        List<Long> ids = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id from pgjobs.claim_jobs('default', '{k}', 10, 'n', 60000, "
                     + position + ") order by priority, run_at, id")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    /** Shared buffers a statement touched, from EXPLAIN (ANALYZE, BUFFERS). */
    private static long pagesRead(Statement s, String sql) throws Exception {
        StringBuilder plan = new StringBuilder();
        try (ResultSet rs = s.executeQuery("explain (analyze, buffers, costs off) " + sql)) {
            while (rs.next()) {
                plan.append(rs.getString(1)).append('\n');
            }
        }
        Matcher hit = SHARED_HIT.matcher(plan);
        assertThat(hit.find()).as("buffers in the plan:\n" + plan).isTrue();
        return Long.parseLong(hit.group(1));
    }
}
