package io.pgjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A claim must walk the runnable index in order and stop after its batch, whatever the planner's estimates
 * favour. In the benchmark's steady state on PostgreSQL 18, statistics taken while the queue was nearly empty
 * made the planner read every runnable job through a bitmap scan and sort them, for every claim of 50 (157 ms
 * each with 200,000 waiting). Here index scans are made to look bad to the session's planner instead, which
 * leads the bare query to that same plan; the claim's function keeps walking the index. Pages are counted, not
 * time.
 */
class ClaimPlanTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final Pattern SHARED_HIT = Pattern.compile("shared hit=(\\d+)");
    private static final String BARE_QUERY = """
            select id from pgjobs.jobs
            where state in ('available', 'scheduled', 'retryable') and queue = 'default' and run_at <= now()
              and kind = any('{k}')
            order by priority, run_at, id limit 50 for update skip locked""";

    @Test
    void aClaimReadsAFewPagesOfABigBacklogWhateverThePlannerEstimates() throws Exception {
        db.execute("insert into pgjobs.jobs (kind) select 'k' from generate_series(1, 200000)");
        db.execute("vacuum analyze pgjobs.jobs");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("set local enable_indexscan = off");
            s.execute("select count(*) from pgjobs.claim_candidates('default', '{k}', 1)"); // catalogs cached
            long bare = pagesRead(s, BARE_QUERY);
            long claim = pagesRead(s, "select count(*) from pgjobs.claim_candidates('default', '{k}', 50)");
            c.rollback();

            // the claim's count also holds the planner's own probes of the index (tens of pages, varying)
            assertThat(bare).as("pages the bare query reads (every runnable job)").isGreaterThan(2_000);
            assertThat(claim).as("pages a claim of 50 reads").isLessThan(300).isLessThan(bare / 10);
        }
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
