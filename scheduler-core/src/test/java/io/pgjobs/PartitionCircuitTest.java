package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.admin.AuditEntry;
import io.pgjobs.admin.PageRequest;
import io.pgjobs.admin.PartitionCircuitInfo;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Circuit breakers per partition of a kind (CircuitBreaker.perPartition), with two nodes in one JVM sharing the
 * circuits through the database: one tenant's failures open only that tenant's circuit.
 */
class PartitionCircuitTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.tenant")
    record CallTenant(String tenant, int n) {}

    /** The tenants' partners the handlers call: those in {@code down} fail. */
    static final class Partners {
        final Set<String> down = ConcurrentHashMap.newKeySet();

        Object call(JobContext<CallTenant> ctx) {
            if (down.contains(ctx.args().tenant())) {
                throw new IllegalStateException("partner of " + ctx.args().tenant() + " down (job " + ctx.args().n() + ")");
            }
            return null;
        }
    }

    @BeforeEach
    void forgetCircuits() throws Exception {
        db.execute("delete from pgjobs.partition_circuits");
    }

    private final List<SchedulerEvent> events = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private Scheduler.Builder node(String id, Partners partners, CircuitBreaker breaker) {
        return Scheduler.builder(db.dataSource()).nodeId(id).migrateOnStart(false)
                .queue("default", 4)
                .pollInterval(Duration.ofMillis(100))
                .retryPolicy(attempt -> Duration.ofMillis(10))
                .handler(CallTenant.class, partners::call)
                .circuitBreaker("test.tenant", breaker.perPartition(PartitionKey.args("tenant")))
                .listener(events::add)
                .meterRegistry(registry);
    }

    private static PartitionCircuitInfo circuit(Scheduler node, String tenant) {
        return node.admin().partitionCircuits().stream().filter(c -> c.partition().equals(tenant)).findFirst()
                .orElse(null);
    }

    private static String stateOf(String tenant) throws Exception {
        try (var c = db.connect(); var s = c.prepareStatement("select state from pgjobs.partition_circuits "
                + "where kind = 'test.tenant' and partition = ?")) {
            s.setString(1, tenant);
            try (var rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static long attempts(String tenant) throws Exception {
        return db.queryLong("select count(*) from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id "
                + "where j.kind = 'test.tenant' and j.args ->> 'tenant' = '" + tenant + "'");
    }

    private static long completed(String tenant) throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs where kind = 'test.tenant' and state = 'completed' "
                + "and args ->> 'tenant' = '" + tenant + "'");
    }

    private static List<JobRequest> jobs(String tenant, int from, int count) {
        List<JobRequest> jobs = new ArrayList<>();
        for (int n = from; n < from + count; n++) {
            jobs.add(JobRequest.of(new CallTenant(tenant, n)));
        }
        return jobs;
    }

    @Test
    void oneTenantsFailuresOpenOnlyItsCircuitWhileAnotherTenantKeepsCompletingThenAProbeClosesIt() throws Exception {
        Partners partners = new Partners();
        partners.down.add("acme");
        CircuitBreaker breaker = CircuitBreaker.afterConsecutiveFailures(3).coolDown(Duration.ofHours(1));
        Scheduler a = schedulers.start(node("a", partners, breaker));
        schedulers.start(node("b", partners, breaker));
        a.client().enqueueAll(jobs("acme", 0, 10));
        a.client().enqueueAll(jobs("globex", 0, 10));

        Await.until(Duration.ofSeconds(30), "acme's circuit opened", () -> "open".equals(stateOf("acme")));
        Await.until(Duration.ofSeconds(30), "the attempts running when it opened ended",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'running'") == 0);
        long acmeAttemptsWhenOpen = attempts("acme");
        assertThat(a.health().checks()).anyMatch(c -> c.name().equals("circuits")
                && c.status() == Health.Status.DEGRADED && c.detail().contains("test.tenant partition 'acme' open"));

        // globex's jobs go on through both nodes' claims, which pass over acme's waiting jobs
        a.client().enqueueAll(jobs("globex", 10, 10));
        Await.until(Duration.ofSeconds(30), "every globex job completed", () -> completed("globex") == 20);
        assertThat(stateOf("globex")).as("globex's circuit").isEqualTo("closed");
        assertThat(attempts("acme")).as("attempts of acme's jobs while its circuit is open")
                .isEqualTo(acmeAttemptsWhenOpen);
        assertThat(completed("acme")).isZero();

        // the operator shortens the cool-down; the probe succeeds and closes the circuit; the rest of acme's run
        partners.down.clear();
        a.admin().openPartitionCircuit("ops", "test.tenant", "acme", Duration.ofMillis(100));
        Await.until(Duration.ofSeconds(30), "every acme job completed", () -> completed("acme") == 10);
        assertThat(stateOf("acme")).isEqualTo("closed");

        long probe = events.stream().filter(e -> e instanceof SchedulerEvent.PartitionCircuitHalfOpened h
                        && h.partition().equals("acme"))
                .map(e -> ((SchedulerEvent.PartitionCircuitHalfOpened) e).probeJobId()).findFirst().orElseThrow();
        assertThat(db.queryLong("select count(*) from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id "
                + "where j.kind = 'test.tenant' and j.args ->> 'tenant' = 'acme' and a.outcome = 'completed' "
                + "and a.job_id <> " + probe + " and a.started_at < (select finished_at from pgjobs.attempts "
                + "where job_id = " + probe + " and outcome = 'completed')"))
                .as("acme's attempts that started before its probe ended").isZero();
        // the run counted may include retries of jobs that failed before the circuit opened: it counts failed attempts
        SchedulerEvent.PartitionCircuitOpened opened = events.stream()
                .filter(e -> e instanceof SchedulerEvent.PartitionCircuitOpened)
                .map(e -> (SchedulerEvent.PartitionCircuitOpened) e).findFirst().orElseThrow();
        assertThat(opened.partition()).isEqualTo("acme");
        assertThat(opened.reason()).matches("\\d+ consecutive failures");
        assertThat(Integer.parseInt(opened.reason().substring(0, opened.reason().indexOf(' '))))
                .as("the failures counted when acme's circuit opened").isBetween(3, (int) acmeAttemptsWhenOpen);
        assertThat(events).contains(new SchedulerEvent.PartitionCircuitClosed("test.tenant", "acme",
                "probe job " + probe + " succeeded"));
        assertThat(registry.get("pgjobs.circuit.partition.transitions").tag("state", "open").counter().count())
                .isEqualTo(1);
        assertThat(a.health().checks()).anyMatch(c -> c.name().equals("circuits") && c.status() == Health.Status.UP);
        assertThat(a.admin().audit(PageRequest.first(10))).extracting(AuditEntry::action)
                .contains("open_partition_circuit");
    }

    @Test
    void aFailedProbeOpensThePartitionsCircuitAgainAndTheProbeRunsOnePerPartition() throws Exception {
        Partners partners = new Partners();
        partners.down.add("acme");
        partners.down.add("initech");
        Scheduler a = schedulers.start(node("a", partners,
                CircuitBreaker.afterConsecutiveFailures(2).coolDown(Duration.ofMillis(300))));
        a.client().enqueueAll(jobs("acme", 0, 4));
        a.client().enqueueAll(jobs("initech", 0, 4));

        Await.until(Duration.ofSeconds(30), "a probe failed and opened each tenant's circuit again",
                () -> events.stream().filter(e -> e instanceof SchedulerEvent.PartitionCircuitOpened o
                        && o.reason().startsWith("probe job ")).map(e -> ((SchedulerEvent.PartitionCircuitOpened) e)
                        .partition()).distinct().count() == 2);
        assertThat(events).anyMatch(e -> e instanceof SchedulerEvent.PartitionCircuitHalfOpened h
                && h.partition().equals("acme"));
        // a half-open partition lets exactly one job through: no two attempts of a tenant overlap after it opened
        assertThat(db.queryLong("select count(*) from pgjobs.attempts x join pgjobs.attempts y "
                + "on x.job_id < y.job_id and x.started_at < y.finished_at and y.started_at < x.finished_at "
                + "join pgjobs.jobs jx on jx.id = x.job_id join pgjobs.jobs jy on jy.id = y.job_id "
                + "where jx.args ->> 'tenant' = jy.args ->> 'tenant' "
                + "and x.started_at > (select min(opened_at) from pgjobs.partition_circuits)")).isZero();
    }

    @Test
    void aQueueWithFlowControlClaimsThePartitionsCircuitsInItsOwnClaim() throws Exception {
        Partners partners = new Partners();
        partners.down.add("acme");
        Scheduler a = schedulers.start(Scheduler.builder(db.dataSource()).nodeId("limited").migrateOnStart(false)
                .queue("limited", 4)
                .partitionLimit("limited", PartitionKey.args("tenant"), 1)
                .pollInterval(Duration.ofMillis(100))
                .retryPolicy(attempt -> Duration.ofMillis(10))
                .handler(CallTenant.class, partners::call)
                .circuitBreaker("test.tenant", CircuitBreaker.afterConsecutiveFailures(2).coolDown(Duration.ofHours(1))
                        .perPartition(PartitionKey.args("tenant"))));
        for (JobRequest job : jobs("acme", 0, 5)) {
            a.client().enqueue(job.queue("limited"));
        }
        Await.until(Duration.ofSeconds(30), "acme's circuit opened", () -> "open".equals(stateOf("acme")));
        Await.until(Duration.ofSeconds(30), "the attempts running when it opened ended",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'running'") == 0);
        long acmeAttempts = attempts("acme");
        for (JobRequest job : jobs("globex", 0, 5)) {
            a.client().enqueue(job.queue("limited"));
        }
        Await.until(Duration.ofSeconds(30), "globex's jobs completed", () -> completed("globex") == 5);
        assertThat(attempts("acme")).isEqualTo(acmeAttempts);
        assertThat(circuit(a, "acme").reason()).isEqualTo("2 consecutive failures");
    }

    @Test
    void openingTheOwnCircuitOfAKindWithCircuitsPerPartitionIsRefusedNamingTheSettingAndChangesNothing() throws Exception {
        db.execute("delete from pgjobs.circuits");
        Scheduler a = schedulers.start(node("a", new Partners(), CircuitBreaker.afterConsecutiveFailures(1)));
        // a scheduler without the kind's breaker, as a standalone dashboard's: it learns the setting from the database
        Scheduler dashboard = schedulers.build(Scheduler.builder(db.dataSource()).migrateOnStart(false));
        long audited = db.queryLong("select count(*) from pgjobs.audit_log");
        long first = a.client().enqueue(new CallTenant("acme", 1)).id();
        Await.until(Duration.ofSeconds(30), "the first job's outcome recorded in its partition's circuit",
                () -> a.client().get(first).orElseThrow().state() == JobState.COMPLETED && stateOf("acme") != null);

        for (Scheduler asking : List.of(a, dashboard)) {
            assertThatThrownBy(() -> asking.admin().openCircuit("ops", "test.tenant", Duration.ofMinutes(5)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("kind: 'test.tenant' has a circuit per partition (CircuitBreaker.perPartition)")
                    .hasMessageContaining("openPartitionCircuit");
        }
        assertThat(db.queryLong("select count(*) from pgjobs.circuits")).as("kinds' circuits").isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.audit_log")).as("audit entries").isEqualTo(audited);
        long next = a.client().enqueue(new CallTenant("acme", 2)).id();
        Await.until(Duration.ofSeconds(30), "the kind's next job completed",
                () -> a.client().get(next).orElseThrow().state() == JobState.COMPLETED);

        // a kind whose own circuit the database holds as newer (its breaker moved to one per kind) is opened
        db.execute("insert into pgjobs.circuits (kind, updated_at) values ('test.tenant', now() + interval '1 minute')");
        dashboard.admin().openCircuit("ops", "test.tenant", Duration.ofMinutes(5));
        assertThat(db.queryLong("select count(*) from pgjobs.circuits where kind = 'test.tenant' and state = 'open'"))
                .isEqualTo(1);
        db.execute("delete from pgjobs.circuits");
    }

    @Test
    void operatorsOpenCloseAndResetAPartitionsCircuitAndEachActionIsAudited() throws Exception {
        Partners partners = new Partners();
        Scheduler a = schedulers.start(node("a", partners, CircuitBreaker.afterConsecutiveFailures(1)));
        a.admin().openPartitionCircuit("ops", "test.tenant", "acme", Duration.ofHours(1));
        long held = a.client().enqueue(new CallTenant("acme", 1)).id();
        long other = a.client().enqueue(new CallTenant("globex", 1)).id();
        Await.until(Duration.ofSeconds(30), "the other tenant's job completed",
                () -> a.client().get(other).orElseThrow().state() == JobState.COMPLETED);
        assertThat(a.client().get(held).orElseThrow().attempt()).as("attempts of the held job").isZero();
        assertThat(circuit(a, "acme").state()).isEqualTo("open");
        assertThat(circuit(a, "acme").reason()).isEqualTo("opened by ops");

        a.admin().closePartitionCircuit("ops", "test.tenant", "acme");
        // the outcome is recorded after the completion's commit: reset only once it was
        Await.until(Duration.ofSeconds(30), "the held job ran once the circuit closed, and its success was counted",
                () -> a.client().get(held).orElseThrow().state() == JobState.COMPLETED
                        && db.queryLong("select window_successes from pgjobs.partition_circuits "
                        + "where kind = 'test.tenant' and partition = 'acme'") == 1);
        a.admin().resetPartitionCircuit("ops", "test.tenant", "acme");

        assertThat(stateOf("acme")).isNull();
        assertThat(a.admin().audit(PageRequest.first(3))).extracting(AuditEntry::action)
                .containsExactly("reset_partition_circuit", "close_partition_circuit", "open_partition_circuit");
        assertThat(a.admin().audit(PageRequest.first(1)).getFirst().detail()).contains("\"partition\"", "acme");
        assertThatThrownBy(() -> a.admin().openPartitionCircuit("ops", "test.tenant", null, Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partition:");
        assertThatThrownBy(() -> a.admin().openPartitionCircuit("ops", "test.tenant", "a\u0000b", Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partition");
        assertThatThrownBy(() -> a.admin().closePartitionCircuit("ops", " ", "acme"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kind:");
        assertThatThrownBy(() -> a.admin().openPartitionCircuit("ops", "test.tenant", "acme", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("coolDown");
        assertThatThrownBy(() -> CircuitBreaker.afterConsecutiveFailures(3).perPartition(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitionKey");
    }
}
