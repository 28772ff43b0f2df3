package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.cluster.WorkerLauncher.Worker;
import io.pgjobs.cluster.WorkerProcess.TenantCall;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three worker JVMs share a kind's circuits per tenant ({@link WorkerProcess#TENANT_CIRCUIT}): one tenant's partner
 * is down and its circuit opens while another tenant's jobs complete on the nodes; from then on the failing
 * tenant's attempts are its probes, one at a time, each after a cool-down. Then a probe's node is killed with
 * SIGKILL while the probe runs: once the rescuer took the probe back and the grace (the lease) passed, another
 * node takes a new probe, which closes the circuit, and the tenant's jobs all complete.
 */
class PartitionCircuitClusterTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final long LEASE_MS = 2_000;

    @Test
    @Timeout(300)
    void oneTenantsCircuitOpensWhileAnotherRunsProbesOneAtATimeAndSurvivesTheProbesNodeKilled() throws Exception {
        db.execute("create table tenant_partners (tenant text primary key, down boolean not null, hold_ms bigint not null)");
        db.execute("insert into tenant_partners values ('acme', true, 0), ('globex', false, 0)");
        long seenOpen, killedProbeJob, probeTakenAt, killedAt;
        try (WorkerLauncher workers = new WorkerLauncher()) {
            List<Worker> nodes = workers.startThree(db, LEASE_MS, 3_000, 4, 5_000, "tenant-circuit");
            Scheduler client = Scheduler.builder(db.dataSource()).build();
            client.client().enqueueAll(jobs("acme", 40, 20));

            Await.until(Duration.ofSeconds(60), "acme's circuit opened", () -> circuitIs("open"));
            seenOpen = HandlerRuns.now(db);
            client.client().enqueueAll(jobs("globex", 60, 50));
            Await.until(Duration.ofSeconds(120), "globex's jobs completed while acme's circuit is open",
                    () -> completed("globex") == 60);
            Await.until(Duration.ofSeconds(60), "a probe of acme failed and opened its circuit again",
                    () -> db.queryLong("select count(*) from pgjobs.partition_circuits where partition = 'acme' "
                            + "and state = 'open' and reason like 'probe job %'") == 1);

            // the next probe holds its worker; its node is killed while it runs
            db.execute("update tenant_partners set down = false, hold_ms = 600000 where tenant = 'acme'");
            Await.until(Duration.ofSeconds(60), "a probe of acme is running", () -> db.queryLong(
                    "select count(*) from pgjobs.partition_circuits c join pgjobs.jobs j on j.id = c.probe_job_id "
                            + "where c.partition = 'acme' and c.state = 'half_open' and j.state = 'running'") == 1);
            killedProbeJob = db.queryLong("select probe_job_id from pgjobs.partition_circuits where partition = 'acme'");
            probeTakenAt = db.queryLong("select (extract(epoch from updated_at) * 1000000)::bigint "
                    + "from pgjobs.partition_circuits where partition = 'acme'");
            String probeNode = string("select node_id from pgjobs.jobs where id = " + killedProbeJob);
            Worker victim = nodes.stream().filter(n -> n.nodeId().equals(probeNode)).findFirst().orElseThrow();
            workers.kill(victim);
            killedAt = HandlerRuns.now(db);
            db.execute("update tenant_partners set hold_ms = 0 where tenant = 'acme'");

            Await.until(Duration.ofSeconds(120), "a new probe closed acme's circuit", () -> circuitIs("closed"));
            Await.until(Duration.ofSeconds(120), "every acme job completed", () -> completed("acme") == 40);
            for (Worker node : nodes) {
                if (node != victim) {
                    assertThat(workers.stop(node, 30)).as(node.nodeId() + " exits after SIGTERM").isTrue();
                }
            }
        }

        List<Attempt> globex = attempts("globex");
        assertThat(globex.stream().map(Attempt::node).distinct()).as("nodes that ran globex while acme was open")
                .hasSizeGreaterThan(1);
        List<Attempt> acmeWhileOpen = attempts("acme").stream()
                .filter(a -> a.start() > seenOpen && a.start() < killedAt).toList();
        assertThat(acmeWhileOpen).as("acme's probes while its circuit was open").isNotEmpty();
        for (int i = 1; i < acmeWhileOpen.size(); i++) {
            Attempt previous = acmeWhileOpen.get(i - 1), probe = acmeWhileOpen.get(i);
            assertThat(probe.start()).as("probe " + probe.jobId() + " starts after the previous one ended")
                    .isGreaterThanOrEqualTo(previous.end());
            if (previous.outcome().equals("failed")) {
                // the failed probe opened the circuit for a cool-down of 2 s; half of it leaves room for the
                // completion's time against the database's own
                assertThat(probe.start() - previous.end()).as("the wait after probe " + previous.jobId())
                        .isGreaterThanOrEqualTo(1_000_000);
            }
        }
        List<Attempt> afterKill = attempts("acme").stream().filter(a -> a.start() > killedAt).toList();
        Attempt nextProbe = afterKill.getFirst();
        assertThat(nextProbe.start()).as("the next probe waits out the grace from the lost probe's taking")
                .isGreaterThanOrEqualTo(probeTakenAt + LEASE_MS * 1000);
        assertThat(nextProbe.outcome()).isEqualTo("completed");
        assertThat(afterKill.subList(1, afterKill.size())).as("acme's attempts once the new probe closed its circuit")
                .allSatisfy(a -> assertThat(a.start()).isGreaterThanOrEqualTo(nextProbe.end()));
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + killedProbeJob
                + " and node_id <> (select node_id from pgjobs.attempts where job_id = " + killedProbeJob
                + " order by attempt limit 1)")).as("the killed probe's job ran again elsewhere").isPositive();
    }

    private static List<JobRequest> jobs(String tenant, int count, long millis) {
        List<JobRequest> jobs = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            jobs.add(JobRequest.of(new TenantCall(tenant, n, millis)));
        }
        return jobs;
    }

    private static boolean circuitIs(String state) throws Exception {
        return db.queryLong("select count(*) from pgjobs.partition_circuits where kind = 'test.tenant' "
                + "and partition = 'acme' and state = '" + state + "'") == 1;
    }

    private static long completed(String tenant) throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs where kind = 'test.tenant' and state = 'completed' "
                + "and args ->> 'tenant' = '" + tenant + "'");
    }

    private static String string(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** A tenant's attempts in the order they started. */
    private static List<Attempt> attempts(String tenant) throws Exception {
        return Attempt.of(db, "j.kind = 'test.tenant' and j.args ->> 'tenant' = '" + tenant + "'");
    }
}
