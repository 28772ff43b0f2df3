package io.pgjobs.cluster;

import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The handlers' own log of the multi-process flow-control tests: {@link WorkerProcess}'s handlers write a row when
 * they start (after the claim committed) and set its end when they are done (before the completion is written),
 * both in the database's clock, in a table of the columns {@link #create} makes.
 */
final class HandlerRuns {
    /**
     * One handler's run, in microseconds of the database's clock; {@code end} is null for a run that never logged
     * its end (its node was killed, or is still running it).
     */
    record Run(long jobId, int attempt, String node, String key, int seq, long start, Long end) {
        Run endingAt(long at) {
            return new Run(jobId, attempt, node, key, seq, start, at);
        }
    }

    static void create(PgDatabase db, String table) throws Exception {
        db.execute("create table " + table + " (id bigint generated always as identity, job_id bigint not null, "
                + "attempt int not null, node text not null, key text not null, seq int not null, "
                + "started_at timestamptz not null, ended_at timestamptz)");
    }

    /** Every run in {@code table}, in the order they started. */
    static List<Run> read(PgDatabase db, String table) throws Exception {
        List<Run> runs = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select job_id, attempt, node, key, seq, "
                     + "(extract(epoch from started_at) * 1000000)::bigint, "
                     + "(extract(epoch from ended_at) * 1000000)::bigint from " + table + " order by started_at, id")) {
            while (rs.next()) {
                long end = rs.getLong(7);
                runs.add(new Run(rs.getLong(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                        rs.getLong(6), rs.wasNull() ? null : end));
            }
        }
        return runs;
    }

    /** The runs of each key, in the order they started. */
    static Map<String, List<Run>> byKey(List<Run> runs) {
        Map<String, List<Run>> byKey = new LinkedHashMap<>();
        runs.forEach(run -> byKey.computeIfAbsent(run.key(), k -> new ArrayList<>()).add(run));
        return byKey;
    }

    /**
     * The most runs that overlap at one moment (a run ending as another starts does not overlap it); every run
     * must have an end.
     */
    static int maxOverlap(List<Run> runs) {
        List<long[]> edges = new ArrayList<>();
        for (Run run : runs) {
            edges.add(new long[] {run.start(), 1});
            edges.add(new long[] {run.end(), -1});
        }
        edges.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
        int running = 0, most = 0;
        for (long[] edge : edges) {
            running += (int) edge[1];
            most = Math.max(most, running);
        }
        return most;
    }

    /** The database's clock now, in microseconds (the unit of the runs' times). */
    static long now(PgDatabase db) throws Exception {
        return db.queryLong("select (extract(epoch from clock_timestamp()) * 1000000)::bigint");
    }

    private HandlerRuns() {}
}
