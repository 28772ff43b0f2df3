package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.admin.AuditEntry;
import io.pgjobs.admin.CircuitInfo;
import io.pgjobs.admin.PageRequest;
import io.pgjobs.internal.store.CircuitStore;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Circuit breakers per kind, with two nodes in one JVM sharing the circuit through the database. */
class CircuitBreakerTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.partner")
    record CallPartner(int n) {}

    @JobKind("test.local")
    record LocalWork(int n) {}

    /** The partner the handlers call: down until fixed. */
    static final class Partner {
        volatile boolean up;

        Object call(JobContext<CallPartner> ctx) {
            if (!up) {
                throw new IllegalStateException("partner down (job " + ctx.args().n() + ")");
            }
            return null;
        }
    }

    @BeforeEach
    void forgetCircuits() throws Exception {
        db.execute("delete from pgjobs.circuits");
    }

    private final List<SchedulerEvent> events = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private Scheduler.Builder node(String id, Partner partner, CircuitBreaker breaker) {
        return Scheduler.builder(db.dataSource()).nodeId(id).migrateOnStart(false)
                .queue("default", 4)
                .pollInterval(Duration.ofMillis(100))
                .retryPolicy(attempt -> Duration.ofMillis(10))
                .handler(CallPartner.class, partner::call)
                .handler(LocalWork.class, ctx -> null)
                .circuitBreaker("test.partner", breaker)
                .listener(events::add)
                .meterRegistry(registry);
    }

    private static CircuitInfo circuit(Scheduler node) {
        return node.admin().circuits().stream().filter(c -> c.kind().equals("test.partner")).findFirst().orElse(null);
    }

    private static long partnerAttempts() throws Exception {
        return db.queryLong("select count(*) from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id "
                + "where j.kind = 'test.partner'");
    }

    @Test
    void opensAfterConsecutiveFailuresHoldsTheKindsJobsWithoutSpendingAttemptsThenProbesAndCloses() throws Exception {
        Partner partner = new Partner();
        CircuitBreaker breaker = CircuitBreaker.afterConsecutiveFailures(3).coolDown(Duration.ofHours(1));
        Scheduler a = schedulers.start(node("a", partner, breaker));
        schedulers.start(node("b", partner, breaker));
        for (int n = 0; n < 10; n++) {
            a.client().enqueue(new CallPartner(n));
        }

        Await.until(Duration.ofSeconds(30), "the circuit opened",
                () -> circuit(a) != null && circuit(a).state().equals("open"));
        // a claim whose snapshot was taken before the circuit opened still takes the kind's jobs: wait until
        // every transaction begun before the test saw the circuit open has ended, then for the attempts to end
        long sawOpenMicros = db.queryLong("select (extract(epoch from clock_timestamp()) * 1000000)::bigint");
        Await.until(Duration.ofSeconds(30), "the transactions begun before the circuit was seen open ended",
                () -> db.queryLong("select count(*) from pg_stat_activity where datname = current_database() "
                        + "and pid <> pg_backend_pid() and xact_start < to_timestamp(" + sawOpenMicros
                        + " / 1000000.0)") == 0);
        Await.until(Duration.ofSeconds(30), "the attempts running when it opened ended",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'running'") == 0);
        long attemptsWhenOpen = partnerAttempts();
        assertThat(a.health().checks()).anyMatch(c -> c.name().equals("circuits")
                && c.status() == Health.Status.DEGRADED && c.detail().contains("test.partner open"));

        // both nodes claim (and pass over the partner's waiting jobs) to run this one
        long local = a.client().enqueue(new LocalWork(1)).id();
        Await.until(Duration.ofSeconds(30), "the other kind's job completed",
                () -> a.client().get(local).orElseThrow().state() == JobState.COMPLETED);
        assertThat(partnerAttempts()).as("attempts of the partner's jobs while the circuit is open")
                .isEqualTo(attemptsWhenOpen);

        // the operator shortens the cool-down; the probe succeeds and closes the circuit; the rest run
        partner.up = true;
        a.admin().openCircuit("ops", "test.partner", Duration.ofMillis(100));
        Await.until(Duration.ofSeconds(30), "every partner job completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where kind = 'test.partner' "
                        + "and state = 'completed'") == 10);
        assertThat(circuit(a).state()).isEqualTo("closed");

        long probe = events.stream().filter(e -> e instanceof SchedulerEvent.CircuitHalfOpened)
                .map(e -> ((SchedulerEvent.CircuitHalfOpened) e).probeJobId()).findFirst().orElseThrow();
        assertThat(db.queryLong("select count(*) from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id "
                + "where j.kind = 'test.partner' and a.outcome = 'completed' and a.job_id <> " + probe
                + " and a.started_at < (select finished_at from pgjobs.attempts where job_id = " + probe
                + " and outcome = 'completed')"))
                .as("attempts that started before the probe's ended").isZero();
        // a completion batch may hold several failures, and retries of jobs that failed before the circuit opened
        // (a batch is recorded after its commit): the run is counted whole, and it counts failed attempts
        String opened = events.stream().filter(e -> e instanceof SchedulerEvent.CircuitOpened)
                .map(e -> ((SchedulerEvent.CircuitOpened) e).reason()).findFirst().orElseThrow();
        assertThat(opened).matches("\\d+ consecutive failures");
        assertThat(Integer.parseInt(opened.substring(0, opened.indexOf(' '))))
                .as("the failures counted when the circuit opened").isBetween(3, (int) attemptsWhenOpen);
        assertThat(events).contains(new SchedulerEvent.CircuitClosed("test.partner", "probe job " + probe + " succeeded"));
        assertThat(registry.get("pgjobs.circuit.transitions").tag("state", "open").counter().count()).isEqualTo(1);
        assertThat(a.health().checks()).anyMatch(c -> c.name().equals("circuits") && c.status() == Health.Status.UP);
        assertThat(a.admin().audit(PageRequest.first(10))).extracting(AuditEntry::action).contains("open_circuit");
    }

    @Test
    void aFailedProbeOpensTheCircuitAgain() throws Exception {
        Partner partner = new Partner();
        Scheduler a = schedulers.start(node("a", partner,
                CircuitBreaker.afterConsecutiveFailures(2).coolDown(Duration.ofMillis(200))));
        a.client().enqueueAll(List.of(JobRequest.of(new CallPartner(1)), JobRequest.of(new CallPartner(2))));

        Await.until(Duration.ofSeconds(30), "a probe failed and opened the circuit again",
                () -> events.stream().anyMatch(e -> e instanceof SchedulerEvent.CircuitOpened o
                        && o.reason().startsWith("probe job ")));
        assertThat(events).anyMatch(e -> e instanceof SchedulerEvent.CircuitHalfOpened);
    }

    @Test
    void operatorsCloseAndResetCircuitsAndEachActionIsAudited() throws Exception {
        Partner partner = new Partner();
        Scheduler a = schedulers.start(node("a", partner, CircuitBreaker.afterConsecutiveFailures(1)));
        a.admin().openCircuit("ops", "test.partner", Duration.ofHours(1));
        long held = a.client().enqueue(new CallPartner(1)).id();
        partner.up = true;
        assertThat(circuit(a).state()).isEqualTo("open");
        assertThat(circuit(a).reason()).isEqualTo("opened by ops");

        a.admin().closeCircuit("ops", "test.partner");
        // the circuit records an outcome after the completion's commit: reset only once it has, or the success
        // recorded after the reset would bring the row back
        Await.until(Duration.ofSeconds(30), "the held job ran once the circuit closed, and its success was counted",
                () -> a.client().get(held).orElseThrow().state() == JobState.COMPLETED
                        && circuit(a).windowSuccesses() == 1);
        a.admin().resetCircuit("ops", "test.partner");

        assertThat(circuit(a)).isNull();
        assertThat(a.admin().audit(PageRequest.first(3))).extracting(AuditEntry::action)
                .containsExactly("reset_circuit", "close_circuit", "open_circuit");
        assertThatThrownBy(() -> a.admin().openCircuit("ops", " ", Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kind:");
        assertThatThrownBy(() -> a.admin().openCircuit("ops", "test.partner", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("coolDown");
    }

    @Test
    void eachSettingIsValidatedWhereItIsSet() {
        assertThatThrownBy(() -> CircuitBreaker.afterConsecutiveFailures(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("consecutiveFailures 0");
        assertThatThrownBy(() -> CircuitBreaker.afterFailureRate(1.5, 10, Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("failureRate 1.5");
        assertThatThrownBy(() -> CircuitBreaker.afterFailureRate(0.5, 10, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window");
        assertThatThrownBy(() -> CircuitBreaker.afterConsecutiveFailures(3).coolDown(Duration.ofDays(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("coolDown");
        Scheduler.Builder builder = Scheduler.builder(db.dataSource());
        assertThatThrownBy(() -> builder.circuitBreaker("test.partner", CircuitBreaker.afterConsecutiveFailures(3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no handler on this node");
        builder.handler(CallPartner.class, ctx -> null)
                .circuitBreaker("test.partner", CircuitBreaker.afterConsecutiveFailures(3));
        assertThatThrownBy(() -> builder.circuitBreaker("test.partner", CircuitBreaker.afterConsecutiveFailures(4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already has a circuit breaker");
    }

    /** The failure-rate test counts the window's attempts; a success ends a run of failures. */
    @Test
    void theCountsOpenTheCircuitAsConfigured() throws Exception {
        CircuitStore store = new CircuitStore(db.dataSource(), PgDatabase.SCHEMA, Duration.ofSeconds(30));
        CircuitBreaker rate = CircuitBreaker.afterFailureRate(0.5, 4, Duration.ofMinutes(1));
        assertThat(store.record("r", 1, 1, 1, List.of(1L, 2L), List.of(false, true), rate)).isEmpty();
        assertThat(store.record("r", 1, 0, 0, List.of(3L), List.of(false), rate)).as("1 of 3").isEmpty();
        assertThat(store.record("r", 0, 1, 1, List.of(4L), List.of(true), rate)).get()
                .extracting(c -> c.to() + ": " + c.reason()).asString().startsWith("open: 2 failures in 4 attempts");

        CircuitBreaker runs = CircuitBreaker.afterConsecutiveFailures(3);
        assertThat(store.record("c", 0, 2, 2, List.of(5L, 6L), List.of(true, true), runs)).isEmpty();
        assertThat(store.record("c", 1, 2, 1, List.of(7L, 8L, 9L), List.of(true, false, true), runs)).isEmpty();
        assertThat(store.record("c", 0, 2, 2, List.of(10L, 11L), List.of(true, true), runs)).get()
                .extracting(c -> c.to() + ": " + c.reason()).isEqualTo("open: 3 consecutive failures");
    }

    /**
     * A probe its node put back unstarted (available again: its claim was older than half its lease when a worker
     * came to it) gets no outcome, so the next probe is taken at once rather than after the grace; a probe that is
     * running, or that ran and waits for its retry (its outcome is being recorded), keeps the circuit half-open.
     */
    @Test
    void aProbePutBackUnstartedIsReplacedAtOnce() throws Exception {
        CircuitStore store = new CircuitStore(db.dataSource(), PgDatabase.SCHEMA, Duration.ofSeconds(30));
        long probe = db.queryLong("insert into pgjobs.jobs (kind, queue) values ('p', 'default') returning id");
        db.execute("insert into pgjobs.circuits (kind, state, probe_job_id, updated_at) values ('p', 'half_open', "
                + probe + ", now())");
        for (String state : List.of("running", "retryable")) {
            db.execute("update pgjobs.jobs set state = '" + state + "' where id = " + probe);
            assertThat(store.takeProbe(List.of("p"), 60_000)).as("a probe " + state).isEmpty();
        }

        db.execute("update pgjobs.jobs set state = 'available' where id = " + probe);
        assertThat(store.takeProbe(List.of("p"), 60_000)).contains("p");
        assertThat(db.queryLong("select count(*) from pgjobs.circuits where kind = 'p' and state = 'half_open' "
                + "and probe_job_id is null")).as("taken again, its job to be named").isOne();
    }
}
