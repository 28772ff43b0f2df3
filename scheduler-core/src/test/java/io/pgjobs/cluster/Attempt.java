package io.pgjobs.cluster;

import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** An attempt as the database recorded it, times in microseconds of the database's clock. */
record Attempt(long jobId, String node, String outcome, long start, long end) {
    /** The attempts of the jobs {@code jobCondition} (over {@code j}, the jobs table) picks, in the order they started. */
    static List<Attempt> of(PgDatabase db, String jobCondition) throws Exception {
        List<Attempt> attempts = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select a.job_id, a.node_id, a.outcome, "
                     + "(extract(epoch from a.started_at) * 1000000)::bigint, "
                     + "(extract(epoch from a.finished_at) * 1000000)::bigint "
                     + "from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id "
                     + "where " + jobCondition + " order by a.started_at, a.job_id")) {
            while (rs.next()) {
                attempts.add(new Attempt(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5)));
            }
        }
        return attempts;
    }
}
