package io.pgjobs.internal.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.PgDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What a vacuum of the jobs table leaves in place (V41). */
class JobsVacuumTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @Test
    void aVacuumLeavesTheEmptyPagesAtTheEndOfTheJobsTableInPlace() throws Exception {
        // The same rows in a table with PostgreSQL's defaults: the vacuum gives its emptied last pages back, so
        // the deleted rows were removable when the jobs table is vacuumed below.
        db.execute("drop table if exists vacuum_reference");
        db.execute("create table vacuum_reference as select * from pgjobs.jobs with no data");
        try {
            long[] reference = pagesAfterDeletingTheLastRowsAndVacuuming("vacuum_reference");
            assertThat(reference[1]).as("the reference table's pages after the vacuum").isLessThan(reference[0]);
        } finally {
            db.execute("drop table vacuum_reference");
        }
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
        long[] jobs = pagesAfterDeletingTheLastRowsAndVacuuming("pgjobs.jobs");
        assertThat(jobs[1]).as("the jobs table's pages after the vacuum").isEqualTo(jobs[0]);
    }

    /** Fills {@code table} with 4,000 jobs, deletes the last 3,000, vacuums it: its pages before and after. */
    private static long[] pagesAfterDeletingTheLastRowsAndVacuuming(String table) throws Exception {
        db.execute("insert into " + table + " (id, kind, queue, state, priority, run_at, attempt, max_attempts, args, "
                + "tags, metadata, created_at, result_awaited) select i, 'vacuum.test', 'default', 'completed', 5, "
                + "now(), 1, 20, '{}', '{}', '{}', now(), false from generate_series(1, 4000) i");
        long before = db.queryLong("select pg_relation_size('" + table + "') / 8192");
        db.execute("delete from " + table + " where id > 1000");
        db.execute("vacuum " + table);
        return new long[] {before, db.queryLong("select pg_relation_size('" + table + "') / 8192")};
    }
}
