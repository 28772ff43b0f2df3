package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.cluster.WorkerLauncher.Worker;
import io.pgjobs.cluster.WorkerProcess.Rated;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three worker JVMs work a backlog under a cluster-wide rate of 200 starts a second with a burst of 100: over 30
 * seconds after the first one (when the burst may start at once), the database's start times of the attempts show
 * 200 a second within 10 %, and no span of time holds more starts than the rate and the burst allow.
 */
class RateLimitClusterTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final int RATE = WorkerProcess.RATE_PER_SECOND;
    private static final int BURST = WorkerProcess.RATE_BURST;
    private static final int SECONDS = 30;
    /** More than the window and the second before it need, so the backlog never runs dry inside the window. */
    private static final int JOBS = RATE * (SECONDS + 5);

    @Test
    @Timeout(300)
    void threeNodesTogetherStartTwoHundredASecond() throws Exception {
        try (WorkerLauncher workers = new WorkerLauncher()) {
            List<Worker> nodes = workers.startThree(db, 2_000, 3_000, 4, 5_000, "rated");
            List<JobRequest> jobs = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                jobs.add(JobRequest.of(new Rated(i)).queue("rated"));
            }
            Scheduler.builder(db.dataSource()).build().client().enqueueAll(jobs);

            Await.until(Duration.ofSeconds(60 + 3 * SECONDS), "every job completed",
                    () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == JOBS);
            for (Worker node : nodes) {
                assertThat(workers.stop(node, 30)).as(node.nodeId() + " exits after SIGTERM").isTrue();
            }
        }

        // Every claim counts against the rate, so every attempt is a start here. A node too busy to start a
        // claimed job within its lease (2 s; a loaded machine) loses it to the rescuer, which records a 'lost'
        // attempt before the job is claimed again: such extra starts are allowed, a second run to completion is not.
        assertThat(db.queryLong("select count(distinct job_id) from pgjobs.attempts where outcome = 'completed'"))
                .as("jobs completed").isEqualTo(JOBS);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where outcome = 'completed'"))
                .as("completed attempts (none twice)").isEqualTo(JOBS);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where outcome not in ('completed', 'lost')"))
                .as("attempts that neither completed nor were lost to the rescuer").isZero();
        long[] starts = starts();
        assertThat(db.queryLong("select count(distinct node_id) from pgjobs.attempts")).as("nodes that ran jobs")
                .isEqualTo(3);
        // the steady window leaves out the first second, whose start is the burst's
        long windowStart = starts[0] + 1_000_000L, windowEnd = windowStart + SECONDS * 1_000_000L;
        assertThat(starts[starts.length - 1]).as("the last start, after the window (jobs waited throughout it)")
                .isGreaterThanOrEqualTo(windowEnd);
        long inWindow = Arrays.stream(starts).filter(start -> start >= windowStart && start < windowEnd).count();
        double perSecond = inWindow / (double) SECONDS;
        System.out.printf(Locale.ROOT, "RateLimitClusterTest: %d starts in %d s after the first second: %.1f a second%n",
                inWindow, SECONDS, perSecond);
        assertThat(perSecond).as("starts a second over %d s", SECONDS).isBetween(RATE * 0.9, RATE * 1.1);

        // from any start to any later one within two seconds: at most the burst plus the span times the rate
        double intervalMicros = 1_000_000.0 / RATE;
        double worstExcess = Double.NEGATIVE_INFINITY;
        String worst = null;
        for (int i = 0; i < starts.length; i++) {
            for (int j = i + 1; j < starts.length && starts[j] - starts[i] <= 2_000_000; j++) {
                double excess = (j - i + 1) - (BURST + (starts[j] - starts[i]) / intervalMicros);
                if (excess > worstExcess) {
                    worstExcess = excess;
                    worst = (j - i + 1) + " starts in " + (starts[j] - starts[i]) + " µs";
                }
            }
        }
        assertThat(worstExcess).as("starts beyond what the rate allows (%s)", worst).isLessThanOrEqualTo(1e-6);
    }

    /** The attempts' start times, database clock, microseconds, in order. */
    private static long[] starts() throws Exception {
        List<Long> starts = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select (extract(epoch from started_at) * 1000000)::bigint "
                     + "from pgjobs.attempts order by started_at")) {
            while (rs.next()) {
                starts.add(rs.getLong(1));
            }
        }
        return starts.stream().mapToLong(Long::longValue).toArray();
    }
}
