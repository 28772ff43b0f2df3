package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.CircuitBreaker;
import io.pgjobs.PartitionKey;
import io.pgjobs.internal.config.Config.QueueFlow;
import io.pgjobs.internal.store.FlowStore.FlowClaim;
import io.pgjobs.internal.store.FlowStore.Probe;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Circuits per partition in the flow claim's walk (claim_flow_jobs with circuit_keys, V35) and their recording
 * (record_partition_circuit_outcomes), statement by statement.
 */
class PartitionCircuitClaimTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final Map<String, PartitionKey> BY_TENANT = Map.of("k", PartitionKey.args("t"));
    private static final long LEASE_MS = 60_000;

    private final FlowStore store = new FlowStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs");
    private final CircuitStore circuits = new CircuitStore(db.dataSource(), PgDatabase.SCHEMA, Duration.ofSeconds(30));

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.partition_circuits");
    }

    /** Inserts {@code count} jobs of kind k for each tenant, the tenants taking turns; returns their ids by tenant. */
    private static Map<String, List<Long>> jobs(int count, String... tenants) throws Exception {
        Map<String, List<Long>> ids = new java.util.LinkedHashMap<>();
        for (int n = 0; n < count; n++) {
            for (String tenant : tenants) {
                ids.computeIfAbsent(tenant, t -> new ArrayList<>()).add(db.queryLong(
                        "insert into pgjobs.jobs (kind, queue, args) values ('k', 'q', jsonb_build_object('t', '"
                                + tenant + "')) returning id"));
            }
        }
        return ids;
    }

    private FlowClaim claim(int limit, Map<String, PartitionKey> partitionCircuits) throws Exception {
        return store.claimFlow("q", List.of("k"), List.of(), limit, "n", LEASE_MS, QueueFlow.NONE, partitionCircuits);
    }

    private static List<Long> ids(FlowClaim claim) {
        return claim.jobs().stream().map(ClaimedJob::id).sorted().toList();
    }

    private static void circuit(String tenant, String state, String retryAtOffset) throws Exception {
        db.execute("insert into pgjobs.partition_circuits (kind, partition, state, opened_at, retry_at) "
                + "values ('k', '" + tenant + "', '" + state + "', now(), now() + interval '" + retryAtOffset + "')");
    }

    private static String stateOf(String tenant) throws Exception {
        return db.queryLong("select count(*) from pgjobs.partition_circuits where partition = '" + tenant + "'") == 0
                ? null : stringOf("select state || coalesce(':' || probe_job_id, '') from pgjobs.partition_circuits "
                + "where kind = 'k' and partition = '" + tenant + "'");
    }

    private static String stringOf(String sql) throws Exception {
        try (Connection c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void anOpenPartitionsJobsArePassedOverAndTheOtherPartitionsAreTaken() throws Exception {
        Map<String, List<Long>> ids = jobs(3, "a", "b");
        circuit("a", "open", "1 hour");

        FlowClaim claim = claim(10, BY_TENANT);

        assertThat(ids(claim)).isEqualTo(ids.get("b"));
        assertThat(claim.probes()).isEmpty();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where attempt > 0 and args ->> 't' = 'a'"))
                .as("attempts spent by the open partition's jobs").isZero();
    }

    @Test
    void aDueCircuitLetsExactlyOneProbeThroughPerPartition() throws Exception {
        Map<String, List<Long>> ids = jobs(3, "a", "b", "c");
        circuit("a", "open", "-1 second");
        circuit("b", "open", "-1 second");

        FlowClaim claim = claim(10, BY_TENANT);

        List<Long> expected = new ArrayList<>(ids.get("c"));
        expected.add(ids.get("a").getFirst());
        expected.add(ids.get("b").getFirst());
        assertThat(ids(claim)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(claim.probes()).containsExactlyInAnyOrder(new Probe("k", "a", ids.get("a").getFirst()),
                new Probe("k", "b", ids.get("b").getFirst()));
        assertThat(stateOf("a")).isEqualTo("half_open:" + ids.get("a").getFirst());
        assertThat(claim(10, BY_TENANT).jobs()).as("while the probes run").isEmpty();
    }

    @Test
    void aProbeThatIsNoLongerRunningIsReplacedOnlyAfterTheGrace() throws Exception {
        Map<String, List<Long>> ids = jobs(2, "a");
        long lost = ids.get("a").getFirst();
        db.execute("update pgjobs.jobs set state = 'retryable', attempt = 1 where id = " + lost); // rescued
        db.execute("insert into pgjobs.partition_circuits (kind, partition, state, probe_job_id, updated_at) "
                + "values ('k', 'a', 'half_open', " + lost + ", now() - interval '30 seconds')");
        assertThat(claim(10, BY_TENANT).jobs()).as("within the grace (the lease)").isEmpty();

        db.execute("update pgjobs.partition_circuits set updated_at = now() - interval '61 seconds'");
        FlowClaim claim = claim(10, BY_TENANT);

        assertThat(claim.jobs()).hasSize(1);
        assertThat(claim.probes()).extracting(Probe::partition).containsExactly("a");
        assertThat(stateOf("a")).isEqualTo("half_open:" + claim.jobs().getFirst().id());
    }

    @Test
    void aProbePutBackUnstartedIsReplacedAtOnce() throws Exception {
        Map<String, List<Long>> ids = jobs(2, "a");
        long putBack = ids.get("a").getFirst(); // available again, its attempt given back
        db.execute("insert into pgjobs.partition_circuits (kind, partition, state, probe_job_id, updated_at) "
                + "values ('k', 'a', 'half_open', " + putBack + ", now())");

        FlowClaim claim = claim(10, BY_TENANT);

        assertThat(ids(claim)).containsExactly(putBack);
        assertThat(claim.probes()).containsExactly(new Probe("k", "a", putBack));
    }

    @Test
    void aProbeChosenButNotClaimedPutsItsCircuitBackDueAtOnce() throws Exception {
        Map<String, List<Long>> ids = jobs(1, "a");
        circuit("a", "open", "-1 second");
        try (Connection holder = db.connect()) {
            holder.setAutoCommit(false);
            holder.createStatement().execute("select 1 from pgjobs.jobs where id = " + ids.get("a").getFirst()
                    + " for update"); // the claim's SKIP LOCKED passes over it
            assertThat(claim(10, BY_TENANT).jobs()).isEmpty();
            holder.rollback();
        }
        assertThat(stateOf("a")).isEqualTo("open");
        assertThat(ids(claim(10, BY_TENANT))).containsExactly(ids.get("a").getFirst());
    }

    @Test
    void outcomesMoveEachPartitionsCircuitApart() throws Exception {
        Map<String, List<Long>> ids = jobs(3, "a", "b");
        CircuitBreaker breaker = CircuitBreaker.afterConsecutiveFailures(3).perPartition(PartitionKey.args("t"));
        List<Long> all = new ArrayList<>(ids.get("a"));
        all.addAll(ids.get("b"));
        List<CircuitStore.PartitionChange> changes = circuits.recordPartitions("k", breaker.partitionKey(), all,
                Arrays.asList(true, true, true, true, false, true), breaker);

        assertThat(changes).extracting(c -> c.partition() + " " + c.from() + "->" + c.to() + ": " + c.reason())
                .containsExactly("a closed->open: 3 consecutive failures");
        assertThat(stateOf("b")).isEqualTo("closed");
        assertThat(db.queryLong("select consecutive_failures from pgjobs.partition_circuits where partition = 'b'"))
                .as("b's failures after its last success").isOne();

        // a probe that ended without an outcome (snoozed, interrupted) gives the circuit back, due at once
        long probe = ids.get("a").get(1);
        db.execute("update pgjobs.partition_circuits set state = 'half_open', probe_job_id = " + probe
                + ", retry_at = now() - interval '1 second' where partition = 'a'");
        assertThat(circuits.recordPartitions("k", breaker.partitionKey(), List.of(probe), Arrays.asList((Boolean) null),
                breaker)).isEmpty();
        assertThat(stateOf("a")).isEqualTo("open");

        // the next probe succeeds: the circuit closes and counts from nothing
        db.execute("update pgjobs.partition_circuits set state = 'half_open', probe_job_id = " + probe
                + " where partition = 'a'");
        assertThat(circuits.recordPartitions("k", breaker.partitionKey(), List.of(ids.get("a").get(2), probe),
                List.of(true, false), breaker))
                .extracting(c -> c.partition() + " " + c.from() + "->" + c.to() + ": " + c.reason())
                .containsExactly("a half_open->closed: probe job " + probe + " succeeded");
        assertThat(db.queryLong("select consecutive_failures from pgjobs.partition_circuits where partition = 'a'"))
                .isZero();
    }
}
