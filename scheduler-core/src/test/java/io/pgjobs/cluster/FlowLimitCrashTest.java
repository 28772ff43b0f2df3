package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.cluster.WorkerLauncher.Worker;
import io.pgjobs.cluster.WorkerProcess.Limited;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Four worker JVMs share 1,500 jobs of 50 keys under a cluster-wide limit of 3 and one job per key at a time;
 * one node is killed with SIGKILL mid-run. The handlers' own log (database time, written after the claim and
 * before the completion) never shows more than 3 running at once, nor two of a key, and every job completes.
 */
class FlowLimitCrashTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final int JOBS = 1_500;
    private static final int KEYS = 50;
    private static final long LEASE_MS = 2_000;
    private static final long DEAD_AFTER_MS = 3_000;

    /** One handler's run: when it started and ended, in microseconds of the database's clock. */
    private record Run(String node, String key, long start, long end) {}

    @Test
    @Timeout(240)
    void aKilledNodeNeverLetsTheLimitsBeExceeded() throws Exception {
        db.execute("create table flow_runs (id bigint generated always as identity, job_id bigint not null, "
                + "node text not null, key text not null, started_at timestamptz not null, ended_at timestamptz)");
        long killedAt;
        try (WorkerLauncher workers = new WorkerLauncher()) {
            List<Worker> nodes = new ArrayList<>();
            for (String id : List.of("node-a", "node-b", "node-c", "node-d")) {
                nodes.add(workers.start(db.jdbcUrl(), id, LEASE_MS, DEAD_AFTER_MS, 4, 5_000, "limited"));
            }
            Await.until(Duration.ofSeconds(90), "four nodes registered",
                    () -> db.queryLong("select count(*) from pgjobs.nodes where stopped_at is null") == 4);

            List<JobRequest> jobs = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                jobs.add(JobRequest.of(new Limited("k" + (i % KEYS), i, 10)).queue("limited"));
            }
            Scheduler.builder(db.dataSource()).build().client().enqueueAll(jobs);

            Await.until(Duration.ofSeconds(90), "node-a is running a job after its first 30",
                    () -> db.queryLong("select count(*) from flow_runs where node = 'node-a'") >= 30
                            && db.queryLong("select count(*) from pgjobs.jobs where state = 'running' "
                                    + "and node_id = 'node-a'") > 0);
            workers.kill(nodes.getFirst());
            killedAt = db.queryLong("select (extract(epoch from clock_timestamp()) * 1000000)::bigint");
            assertThat(db.queryLong("select count(*) from pgjobs.jobs where state <> 'completed'"))
                    .as("the kill comes mid-run").isPositive();

            Await.until(Duration.ofSeconds(180), "every job completed",
                    () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == JOBS);
            for (Worker survivor : nodes.subList(1, nodes.size())) {
                assertThat(workers.stop(survivor, 30)).as(survivor.nodeId() + " exits after SIGTERM").isTrue();
            }
        }

        List<Run> runs = runs(killedAt);
        assertThat(runs.stream().map(Run::node).distinct()).as("nodes that ran jobs").hasSizeGreaterThan(1);
        assertThat(maxOverlap(runs)).as("most handlers running at once").isLessThanOrEqualTo(WorkerProcess.LIMITED_QUEUE_LIMIT);
        Map<String, List<Run>> byKey = new HashMap<>();
        runs.forEach(run -> byKey.computeIfAbsent(run.key(), k -> new ArrayList<>()).add(run));
        byKey.forEach((key, ofKey) -> assertThat(maxOverlap(ofKey)).as("handlers of " + key + " at once").isEqualTo(1));
        assertThat(db.queryLong("select count(distinct job_id) from flow_runs")).isEqualTo(JOBS);
    }

    /**
     * The handlers' runs; a run of the killed node that never logged its end ended when the node was killed.
     * Any other run without an end would be a handler still running: there must be none.
     */
    private static List<Run> runs(long killedAt) throws Exception {
        List<Run> runs = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select node, key, (extract(epoch from started_at) * 1000000)::bigint, "
                     + "(extract(epoch from ended_at) * 1000000)::bigint from flow_runs")) {
            while (rs.next()) {
                long end = rs.getLong(4);
                if (rs.wasNull()) {
                    assertThat(rs.getString(1)).as("a run without an end").isEqualTo("node-a");
                    end = killedAt;
                }
                runs.add(new Run(rs.getString(1), rs.getString(2), rs.getLong(3), end));
            }
        }
        return runs;
    }

    /** The most runs that overlap at one moment (a run ending as another starts does not overlap it). */
    private static int maxOverlap(List<Run> runs) {
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
}
