package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.cluster.WorkerLauncher.Worker;
import io.pgjobs.cluster.WorkerProcess.Flaky;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three worker JVMs share the circuit of a kind whose partner is down: it opens after the configured run of
 * failures; from the moment it was seen open no attempt of the kind starts but one probe per cool-down, across
 * the cluster; the first probe fails and opens it again, the second (the partner is back) closes it, and the
 * kind's jobs all complete.
 */
class CircuitClusterTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final int JOBS = 100;

    @Test
    @Timeout(300)
    void theCircuitOpensProbesOnceAcrossTheClusterAndCloses() throws Exception {
        db.execute("create table flaky_partner (down boolean not null)");
        db.execute("insert into flaky_partner values (true)");
        long seenOpen, firstRetryAt, secondOpenedAt, secondRetryAt;
        try (WorkerLauncher workers = new WorkerLauncher()) {
            List<Worker> nodes = workers.startThree(db, 2_000, 3_000, 4, 5_000, "circuit");
            List<JobRequest> jobs = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                jobs.add(JobRequest.of(new Flaky(i, 20)));
            }
            Scheduler.builder(db.dataSource()).build().client().enqueueAll(jobs);

            Await.until(Duration.ofSeconds(60), "the circuit opened", () -> circuitIs("open"));
            seenOpen = HandlerRuns.now(db);
            long firstOpenedAt = circuitTime("opened_at");
            firstRetryAt = circuitTime("retry_at");
            Await.until(Duration.ofSeconds(60), "the first probe failed and opened the circuit again",
                    () -> circuitIs("open") && circuitTime("opened_at") > firstOpenedAt);
            secondOpenedAt = circuitTime("opened_at");
            secondRetryAt = circuitTime("retry_at");
            db.execute("update flaky_partner set down = false");

            Await.until(Duration.ofSeconds(60), "the second probe closed the circuit", () -> circuitIs("closed"));
            Await.until(Duration.ofSeconds(60), "every job completed",
                    () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == JOBS);
            for (Worker node : nodes) {
                assertThat(workers.stop(node, 30)).as(node.nodeId() + " exits after SIGTERM").isTrue();
            }
        }

        List<Attempt> attempts = attempts();
        assertThat(attempts.stream().filter(a -> a.outcome().equals("failed") && a.end() <= seenOpen))
                .as("failures before the circuit opened")
                .hasSizeGreaterThanOrEqualTo(WorkerProcess.CIRCUIT.consecutiveFailures());
        List<Attempt> afterOpen = attempts.stream().filter(a -> a.start() > seenOpen).toList();
        Attempt firstProbe = afterOpen.get(0), secondProbe = afterOpen.get(1);
        assertThat(firstProbe.outcome()).as("the first probe's outcome").isEqualTo("failed");
        assertThat(firstProbe.start()).as("the first probe starts after the cool-down").isGreaterThanOrEqualTo(firstRetryAt);
        assertThat(firstProbe.end()).as("the circuit opens again when the first probe fails")
                .isLessThanOrEqualTo(secondOpenedAt);
        assertThat(secondProbe.outcome()).as("the second probe's outcome").isEqualTo("completed");
        assertThat(secondProbe.start()).as("the second probe starts after the second cool-down")
                .isGreaterThanOrEqualTo(secondRetryAt);
        assertThat(afterOpen.subList(2, afterOpen.size()))
                .as("attempts that started before the second probe ended (the circuit closed)")
                .allSatisfy(a -> assertThat(a.start()).isGreaterThanOrEqualTo(secondProbe.end()));
        assertThat(afterOpen.stream().map(Attempt::node).distinct()).as("nodes that ran the kind once it closed")
                .hasSizeGreaterThan(1);
        assertThat(db.queryLong("select count(*) from pgjobs.circuits where kind = 'test.flaky' "
                + "and state = 'closed' and probe_job_id is null")).as("the circuit, closed").isOne();
    }

    private static boolean circuitIs(String state) throws Exception {
        return db.queryLong("select count(*) from pgjobs.circuits where kind = 'test.flaky' and state = '"
                + state + "'") == 1;
    }

    private static long circuitTime(String column) throws Exception {
        return db.queryLong("select (extract(epoch from " + column + ") * 1000000)::bigint from pgjobs.circuits "
                + "where kind = 'test.flaky'");
    }

    /** The kind's attempts in the order they started. */
    private static List<Attempt> attempts() throws Exception {
        return Attempt.of(db, "j.kind = 'test.flaky'");
    }
}
