package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.cluster.WorkerLauncher.Worker;
import io.pgjobs.cluster.WorkerProcess.Count;
import io.pgjobs.cluster.WorkerProcess.Hold;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A leader frozen with SIGSTOP while running two long jobs: the server ends its leader session (idle too long),
 * another node takes the lead, rescues the jobs once their leases expire and completes them. When the frozen
 * node resumes and shuts down, its late completions must not overwrite the jobs' new state. A node frozen inside
 * its completion transaction, holding the jobs' rows locked, loses them just the same: the server ends that
 * transaction's session once it has idled longer than the lease.
 */
class FrozenNodeTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @Test
    @Timeout(120)
    void aFrozenNodeLosesItsJobsAndCannotOverwriteThemWhenItWakes() throws Exception {
        db.execute("create table runs (job_id bigint not null, node text not null)");
        List<Long> ids;
        try (WorkerLauncher workers = new WorkerLauncher()) {
            Worker frozen = workers.start(db.jdbcUrl(), "frozen", 2_000, 3_000, 2, 1_000);
            Await.until(Duration.ofSeconds(60), "the soon frozen node leads",
                    () -> db.queryLong("select count(*) from pgjobs.nodes where id = 'frozen' and leader_since is not null") == 1);
            Scheduler enqueuer = Scheduler.builder(db.dataSource()).build();
            ids = List.of(enqueuer.client().enqueue(JobRequest.of(new Hold(60_000))).id(),
                    enqueuer.client().enqueue(JobRequest.of(new Hold(60_000))).id());
            Await.until(Duration.ofSeconds(30), "both jobs run on the frozen node",
                    () -> db.queryLong("select count(*) from runs where node = 'frozen'") == 2);
            workers.freeze(frozen);

            try (Scheduler rescuer = Scheduler.builder(db.dataSource()).nodeId("rescuer")
                    .leaseDuration(Duration.ofSeconds(2)).nodeDeadAfter(Duration.ofSeconds(3))
                    .queue("default", 2)
                    .handler(Hold.class, ctx -> {
                        try (Connection c = db.dataSource().getConnection();
                             PreparedStatement ps = c.prepareStatement("insert into runs values (?, 'rescuer')")) {
                            ps.setLong(1, ctx.jobId());
                            ps.executeUpdate();
                        }
                        return null;
                    })
                    .build()) {
                rescuer.start();
                Await.until(Duration.ofSeconds(30), "the other node leads", rescuer::isLeader);
                Await.until(Duration.ofSeconds(30), "the rescued jobs completed elsewhere", () -> db.queryLong(
                        "select count(*) from pgjobs.jobs where state = 'completed' and node_id = 'rescuer'") == 2);

                workers.resume(frozen);
                // SIGTERM: the woken node finds its jobs gone, stops their handlers, writes (tries to) their
                // completions and exits.
                assertThat(workers.stop(frozen, 30)).as("the woken node exits after SIGTERM").isTrue();
                assertThat(frozen.output()).contains("worker frozen closed").doesNotContain("could not write");
                assertThat(rescuer.isLeader()).isTrue();
            }
        }

        for (long id : ids) {
            assertThat(db.queryLong("select count(*) from pgjobs.jobs where id = " + id
                    + " and state = 'completed' and node_id = 'rescuer' and attempt = 2 and finished_at is not null")).isOne();
            assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + id)).isEqualTo(2);
            assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + id
                    + " and attempt = 1 and node_id = 'frozen' and outcome = 'lost'")).isOne();
            assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + id
                    + " and attempt = 2 and node_id = 'rescuer' and outcome = 'completed'")).isOne();
        }
        assertThat(db.queryLong("select count(*) from pgjobs.nodes where stopped_at is null or leader_since is not null")).isZero();
    }

    @Test
    @Timeout(120)
    void aNodeFrozenInsideItsCompletionTransactionLosesItsJobsOnceTheirLeasesRunOut() throws Exception {
        db.execute("create table if not exists runs (job_id bigint not null, node text not null)");
        Duration lease = Duration.ofSeconds(2);
        // no queue: it only leads and rescues, every half of its lease
        try (Scheduler rescuer = Scheduler.builder(db.dataSource()).nodeId("rescuer-of-completing")
                .leaseDuration(lease).nodeDeadAfter(Duration.ofSeconds(3)).build();
             WorkerLauncher workers = new WorkerLauncher()) {
            rescuer.start();
            Await.until(Duration.ofSeconds(30), "the rescuer leads", rescuer::isLeader);
            Worker frozen = workers.start(db.jdbcUrl(), "frozen-completing", lease.toMillis(), 3_000, 2, 1_000,
                    WorkerProcess.HOLD_COMPLETION);
            List<Long> ids = List.of(rescuer.client().enqueue(JobRequest.of(new Count(1))).id(),
                    rescuer.client().enqueue(JobRequest.of(new Count(2))).id());
            Await.until(Duration.ofSeconds(60), "the node holds a completion transaction open",
                    () -> frozen.output().contains(WorkerProcess.COMPLETION_HELD));
            workers.freeze(frozen);
            String held = "select count(*) from pgjobs.jobs where state = 'running' and node_id = 'frozen-completing'";
            assertThat(db.queryLong(held)).as("the frozen transaction holds its jobs").isPositive();

            // the lease runs out and the server ends the idle transaction within one lease; the rescuer's next
            // round, half a lease later, takes the jobs; the rest of the deadline is slack for a loaded machine
            Await.until(lease.plus(lease.dividedBy(2)).plusSeconds(10), "the frozen node's jobs are rescued",
                    () -> db.queryLong(held) == 0);
            long lost = db.queryLong("select count(*) from pgjobs.attempts where node_id = 'frozen-completing'"
                    + " and outcome = 'lost' and job_id in (" + ids.get(0) + ", " + ids.get(1) + ")");
            assertThat(lost).as("the jobs whose completion was held are lost, not completed").isPositive();

            workers.resume(frozen);
            workers.release(frozen);
            assertThat(workers.stop(frozen, 30)).as("the woken node exits after SIGTERM").isTrue();
            assertThat(frozen.output()).contains("worker frozen-completing closed");
        }
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where attempt = 1"
                + " and node_id = 'frozen-completing' and outcome <> 'lost'"))
                .as("the held completions, written after the node woke, did not apply").isZero();
    }
}
