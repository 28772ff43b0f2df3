package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.cluster.HandlerRuns.Run;
import io.pgjobs.cluster.WorkerLauncher.Worker;
import io.pgjobs.cluster.WorkerProcess.Ordered;
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
 * Three worker JVMs run 400 jobs of 10 ordering keys, some of which fail their first attempt or two; one node is
 * killed with SIGKILL while it runs a job. The handlers' own log ({@link HandlerRuns}) shows each key's jobs one
 * at a time and in enqueue order, every retry (and the rescued job's next attempt) before the next job of its key.
 * A run of an attempt the rescuer took as lost holds its key only until that rescue, as the soak's invariants count
 * runs (docs/reliability.md): a node starved past its 2 s lease on a busy machine loses its attempt, and its
 * handler may run on beside the job's next attempt, which is at least once (docs/flow-control.md, "What a crash
 * does"). Every other run holds its key as long as its handler logged.
 */
class OrderedKeysCrashTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final int KEYS = 10;
    private static final int PER_KEY = 40;

    @Test
    @Timeout(300)
    void eachKeyRunsOneAtATimeInEnqueueOrderThroughRetriesAndAKill() throws Exception {
        HandlerRuns.create(db, "ordered_runs");
        int failures = 0;
        long killedAt;
        try (WorkerLauncher workers = new WorkerLauncher()) {
            List<Worker> nodes = workers.startThree(db, 2_000, 3_000, 4, 5_000, "ordered");

            List<JobRequest> jobs = new ArrayList<>();
            for (int seq = 0; seq < PER_KEY; seq++) {
                for (int k = 0; k < KEYS; k++) {
                    int failing = seq % 11 == 5 ? 2 : seq % 5 == 2 ? 1 : 0;
                    failures += failing;
                    String key = "key-" + k;
                    jobs.add(JobRequest.of(new Ordered(key, seq, failing, 20)).queue("ordered").orderingKey(key));
                }
            }
            Scheduler.builder(db.dataSource()).build().client().enqueueAll(jobs);

            Worker killed = nodes.getFirst();
            Await.until(Duration.ofSeconds(90), "node-a is running a job after its first 20", () ->
                    db.queryLong("select count(*) from ordered_runs where node = 'node-a'") >= 20
                            && db.queryLong("select count(*) from pgjobs.jobs where state = 'running' "
                                    + "and node_id = 'node-a'") > 0);
            workers.kill(killed);
            killedAt = HandlerRuns.now(db);
            assertThat(db.queryLong("select count(*) from pgjobs.jobs where state <> 'completed'"))
                    .as("the kill comes mid-run").isPositive();

            Await.until(Duration.ofSeconds(240), "every job completed", () ->
                    db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == KEYS * PER_KEY);
            for (Worker survivor : nodes.subList(1, nodes.size())) {
                assertThat(workers.stop(survivor, 30)).as(survivor.nodeId() + " exits after SIGTERM").isTrue();
            }
        }

        List<Run> runs = runsAsTheyHeldTheirKeys(killedAt);
        HandlerRuns.byKey(runs).forEach((key, ofKey) -> {
            assertThat(HandlerRuns.maxOverlap(ofKey)).as("handlers of " + key + " at once: " + ofKey).isEqualTo(1);
            for (int i = 1; i < ofKey.size(); i++) {
                Run before = ofKey.get(i - 1), after = ofKey.get(i);
                assertThat(after.seq() > before.seq() || after.seq() == before.seq() && after.attempt() > before.attempt())
                        .as(key + ": #" + after.seq() + " attempt " + after.attempt() + " started after #"
                                + before.seq() + " attempt " + before.attempt()).isTrue();
            }
            assertThat(ofKey.stream().map(Run::seq).distinct()).as("the jobs of " + key + " that ran").hasSize(PER_KEY);
        });
        String attemptsWithFailures = "select count(*) from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id "
                + "where a.outcome = '%s' and a.attempt %s (j.args ->> 'failures')::int";
        assertThat(db.queryLong(attemptsWithFailures.formatted("failed", ">")))
                .as("failed attempts after the ones the args asked for").isZero();
        assertThat(db.queryLong(attemptsWithFailures.formatted("completed", "<=")))
                .as("completed attempts among the ones the args asked to fail").isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where outcome = 'failed'"))
                .as("failed attempts (a few failing ones may have been lost with the killed node instead)")
                .isGreaterThan(failures / 2);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where outcome = 'lost' and node_id = 'node-a'"))
                .as("attempts lost with the killed node").isPositive();
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where outcome = 'completed'"))
                .as("completed attempts").isEqualTo(KEYS * PER_KEY);
    }

    /**
     * The handlers' runs as they held their keys: a run of an attempt the rescuer took as {@code lost} holds its key
     * until that rescue (its job was claimable again from then), and one that began after it held nothing and is
     * left out; any other run holds its key until its handler logged its end, or until the kill for the killed
     * node's runs that logged none. (A completed or failed attempt's {@code finished_at} is its claim plus the
     * handler's time as its node measured it, so it is no bound on the handler's own log.)
     */
    private static List<Run> runsAsTheyHeldTheirKeys(long killedAt) throws Exception {
        Map<String, Long> rescues = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select job_id || '/' || attempt, "
                     + "(extract(epoch from finished_at) * 1000000)::bigint from pgjobs.attempts where outcome = 'lost'")) {
            while (rs.next()) {
                rescues.put(rs.getString(1), rs.getLong(2));
            }
        }
        List<Run> runs = new ArrayList<>();
        List<Run> wentOn = new ArrayList<>();
        for (Run run : HandlerRuns.read(db, "ordered_runs")) {
            Long rescued = rescues.get(run.jobId() + "/" + run.attempt());
            if (run.end() == null && !run.node().equals("node-a")) {
                assertThat(rescued).as("the rescue of a run without an end on " + run.node() + ": " + run).isNotNull();
            }
            long end = run.end() != null ? run.end() : run.node().equals("node-a") ? killedAt : rescued;
            if (rescued == null) {
                runs.add(run.endingAt(end));
                continue;
            }
            if (end > rescued) {
                wentOn.add(run);
            }
            if (run.start() < rescued) {
                runs.add(run.endingAt(Math.min(end, rescued)));
            }
        }
        System.out.println("OrderedKeysCrashTest: " + wentOn.size() + " runs went on after their attempt was lost: " + wentOn);
        return runs;
    }
}
