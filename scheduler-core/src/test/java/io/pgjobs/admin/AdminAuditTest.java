package io.pgjobs.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgjobs.EnqueueResult;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.PgJobsException;
import io.pgjobs.Scheduler;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An operator's action and its audit entry commit together; a bulk action that fails half-way says what it did.
 * A failure of the audit insert is injected with a trigger on the audit table: whatever the action wrote must
 * then be rolled back with it.
 */
class AdminAuditTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    private static final ObjectMapper JSON = new ObjectMapper();

    @JobKind("test.audited")
    record Audited(int n) {}

    private AdminClient admin;

    @BeforeEach
    void setUp() throws Exception {
        db.execute("truncate pgjobs.audit_log, pgjobs.schedules, pgjobs.schedule_runs, pgjobs.queues, pgjobs.circuits,"
                + " pgjobs.partition_circuits");
        admin = schedulers.build(Scheduler.builder(db.dataSource())).admin();
    }

    @AfterEach
    void removeFailures() throws Exception {
        db.execute("drop trigger if exists fail_one on pgjobs.jobs; drop trigger if exists fail_audit on pgjobs.audit_log;"
                + " drop function if exists pgjobs.fail_injected()");
    }

    @Test
    void aBulkActionThatFailsHalfWayLeavesAnAuditThatMatchesTheJobs() throws Exception {
        List<Long> ids = enqueue(IntStream.range(0, 250).mapToObj(n -> JobRequest.of(new Audited(n))).toList());
        long failing = ids.get(150);
        injectFailure("pgjobs.jobs", "fail_one", "new.id = " + failing);

        assertThatThrownBy(() -> admin.actOnIds("alice", JobAction.CANCEL, ids))
                .isInstanceOf(PgJobsException.class).hasMessageContaining("injected failure")
                .hasMessageContaining("1 of 3 chunks").hasMessageContaining("from id " + ids.get(100));

        List<Long> audited = new ArrayList<>();
        for (AuditEntry entry : admin.audit(PageRequest.first(10))) {
            assertThat(entry.action()).isEqualTo("bulk_cancel");
            JsonNode detail = JSON.readTree(entry.detail());
            detail.get("changed").forEach(id -> audited.add(id.asLong()));
        }
        List<Long> cancelled = cancelledIds();
        assertThat(cancelled).as("every cancelled job is audited, and no other").isNotEmpty()
                .containsExactlyElementsOf(audited.stream().sorted().toList());
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'available'"))
                .isEqualTo(ids.size() - cancelled.size());
    }

    @Test
    void anActionWhoseAuditCannotBeWrittenChangesNothing() throws Exception {
        long id = enqueue(List.of(JobRequest.of(new Audited(1)))).getFirst();
        injectFailure("pgjobs.audit_log", "fail_audit", "true");

        assertThatThrownBy(() -> admin.act("bob", JobAction.CANCEL, id)).isInstanceOf(PgJobsException.class);

        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id = " + id + " and state = 'available'"))
                .isOne();
    }

    @Test
    void aCloneWhoseAuditCannotBeWrittenEnqueuesNothing() throws Exception {
        long id = enqueue(List.of(JobRequest.of(new Audited(1)))).getFirst();
        injectFailure("pgjobs.audit_log", "fail_audit", "true");

        assertThatThrownBy(() -> admin.cloneJob("carol", id, null)).isInstanceOf(PgJobsException.class)
                .hasMessageContaining("injected failure");
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).as("no clone").isOne();

        removeFailures();
        long clone = admin.cloneJob("carol", id, "{\"n\": 2}");
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id = " + clone + " and args = '{\"n\": 2}'"))
                .isOne();
        assertThat(admin.audit(PageRequest.first(10))).singleElement().satisfies(entry -> {
            assertThat(entry).extracting(AuditEntry::actor, AuditEntry::action, AuditEntry::target)
                    .containsExactly("carol", "clone", "job:" + id);
            assertThat(JSON.readTree(entry.detail()).get("newJob").asLong()).isEqualTo(clone);
        });
    }

    @Test
    void aPauseOrResumeOfAScheduleWhoseAuditCannotBeWrittenLeavesTheScheduleAsItWas() throws Exception {
        createSchedule();
        String enabled = scheduleState();
        injectFailure("pgjobs.audit_log", "fail_audit", "true");

        assertThatThrownBy(() -> admin.setScheduleEnabled("erin", "nightly", false))
                .isInstanceOf(PgJobsException.class).hasMessageContaining("injected failure");
        assertThat(scheduleState()).as("still enabled, same next fire time").isEqualTo(enabled);

        removeFailures();
        assertThat(admin.setScheduleEnabled("erin", "nightly", false)).isTrue();
        String paused = scheduleState();
        assertThat(paused).isEqualTo("false/null");
        assertThat(actions()).containsExactly("pause_schedule");

        injectFailure("pgjobs.audit_log", "fail_audit", "true");
        assertThatThrownBy(() -> admin.setScheduleEnabled("erin", "nightly", true))
                .isInstanceOf(PgJobsException.class).hasMessageContaining("injected failure");
        assertThat(scheduleState()).as("still paused").isEqualTo(paused);

        removeFailures();
        assertThat(admin.setScheduleEnabled("erin", "nightly", true)).isTrue();
        assertThat(scheduleState()).startsWith("true/").isNotEqualTo("true/null");
        assertThat(actions()).containsExactly("resume_schedule", "pause_schedule");
        // an unknown schedule is neither changed nor audited
        assertThat(admin.setScheduleEnabled("erin", "nope", false)).isFalse();
        assertThat(actions()).hasSize(2);
    }

    @Test
    void aTriggerWhoseAuditCannotBeWrittenEnqueuesNothing() throws Exception {
        createSchedule();
        injectFailure("pgjobs.audit_log", "fail_audit", "true");

        assertThatThrownBy(() -> admin.triggerSchedule("frank", "nightly")).isInstanceOf(PgJobsException.class)
                .hasMessageContaining("injected failure");
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).as("no triggered job").isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.schedule_runs")).as("no run").isZero();

        removeFailures();
        long job = admin.triggerSchedule("frank", "nightly");
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id = " + job)).isOne();
        assertThat(db.queryLong("select count(*) from pgjobs.schedule_runs where job_id = " + job)).isOne();
        assertThat(admin.audit(PageRequest.first(10))).singleElement().satisfies(entry -> {
            assertThat(entry).extracting(AuditEntry::actor, AuditEntry::action, AuditEntry::target)
                    .containsExactly("frank", "trigger_schedule", "schedule:nightly");
            assertThat(JSON.readTree(entry.detail()).get("newJob").asLong()).isEqualTo(job);
        });
    }

    /** Every action, each with an actor PostgreSQL cannot store: each must be refused before it changes anything. */
    @Test
    void closingOrResettingACircuitThatDoesNotExistIsNotFoundAndWritesNothing() throws Exception {
        List<ThrowingCallable> actions = List.of(
                () -> admin.closeCircuit("alice", "test.audited"),
                () -> admin.resetCircuit("alice", "test.audited"),
                () -> admin.closePartitionCircuit("alice", "test.audited", "acme"),
                () -> admin.resetPartitionCircuit("alice", "test.audited", "acme"));
        for (ThrowingCallable action : actions) {
            assertThatThrownBy(action).isInstanceOf(NotFoundException.class).hasMessageContaining("no circuit for the");
        }
        assertThat(db.queryLong("select count(*) from pgjobs.circuits")).as("no circuit created").isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.partition_circuits")).as("no circuit created").isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.audit_log")).as("nothing audited").isZero();

        // one that exists is closed and reset, audited; once reset it is gone, and a second reset finds nothing
        admin.openCircuit("alice", "test.audited", Duration.ofMinutes(1));
        admin.closeCircuit("alice", "test.audited");
        admin.resetCircuit("alice", "test.audited");
        assertThatThrownBy(() -> admin.resetCircuit("alice", "test.audited")).isInstanceOf(NotFoundException.class)
                .hasMessageStartingWith("kind: no circuit for the kind 'test.audited'");
        assertThat(admin.audit(PageRequest.first(10)).stream().map(AuditEntry::action).toList())
                .containsExactly("reset_circuit", "close_circuit", "open_circuit");
    }

    @Test
    void anActorPostgresCannotStoreIsRejectedBeforeAnythingIsApplied() throws Exception {
        long id = enqueue(List.of(JobRequest.of(new Audited(1)).queue("mail"))).getFirst();
        db.execute("update pgjobs.jobs set state = 'discarded', last_error = 'boom', finished_at = now() where id = "
                + id);
        db.execute("insert into pgjobs.queues (name) values ('mail')");
        createSchedule();
        String fingerprint = admin.deadLetters().getFirst().fingerprint();
        String jobs = jobsState();
        String schedule = scheduleState();

        for (String actor : List.of("mallory" + (char) 0, "mallory" + (char) 0xD800)) {
            List<ThrowingCallable> actions = List.of(
                    () -> admin.act(actor, JobAction.RETRY, id),
                    () -> admin.actOnIds(actor, JobAction.DELETE, List.of(id)),
                    () -> admin.actOnMatching(actor, JobAction.RETRY, JobFilter.ALL, null, 10),
                    () -> admin.actOnDeadLetters(actor, JobAction.RETRY, fingerprint, 10),
                    () -> admin.cloneJob(actor, id, null),
                    () -> admin.pauseQueue(actor, "mail"),
                    () -> admin.resumeQueue(actor, "mail"),
                    () -> admin.removeQueue(actor, "mail"),
                    () -> admin.setScheduleEnabled(actor, "nightly", false),
                    () -> admin.triggerSchedule(actor, "nightly"),
                    () -> admin.openCircuit(actor, "test.audited", Duration.ofMinutes(1)),
                    () -> admin.closeCircuit(actor, "test.audited"),
                    () -> admin.resetCircuit(actor, "test.audited"));
            for (ThrowingCallable action : actions) {
                assertThatThrownBy(action).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("actor:");
            }
        }
        assertThat(jobsState()).isEqualTo(jobs);
        assertThat(scheduleState()).isEqualTo(schedule);
        assertThat(db.queryLong("select count(*) from pgjobs.queues where name = 'mail' and not paused")).isOne();
        assertThat(db.queryLong("select count(*) from pgjobs.circuits")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.audit_log")).isZero();
        assertThatThrownBy(() -> admin.act(null, JobAction.RETRY, id)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("actor:");
    }

    private static void createSchedule() throws Exception {
        db.execute("insert into pgjobs.schedules (name, expression, time_zone, kind, args, next_fire_at) values "
                + "('nightly', '30 2 * * *', 'Europe/Lisbon', 'test.audited', '{\"n\": 7}', now() + interval '1 day')");
    }

    /** Whether the schedule is enabled, and its next fire time. */
    private static String scheduleState() throws Exception {
        return text("select enabled || '/' || coalesce(next_fire_at::text, 'null') from pgjobs.schedules"
                + " where name = 'nightly'");
    }

    private static String jobsState() throws Exception {
        return text("select coalesce(string_agg(id || ':' || state, ',' order by id), '') from pgjobs.jobs");
    }

    private List<String> actions() {
        return admin.audit(PageRequest.first(10)).stream().map(AuditEntry::action).toList();
    }

    private static String text(String sql) throws Exception {
        try (var c = db.dataSource().getConnection(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private List<Long> enqueue(List<JobRequest> requests) {
        return schedulers.build(Scheduler.builder(db.dataSource())).client().enqueueAll(requests).stream()
                .map(EnqueueResult::id).toList();
    }

    private List<Long> cancelledIds() throws Exception {
        List<Long> ids = new ArrayList<>();
        try (var c = db.dataSource().getConnection(); var s = c.createStatement();
             var rs = s.executeQuery("select id from pgjobs.jobs where state = 'cancelled' order by id")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    private static void injectFailure(String table, String trigger, String when) throws Exception {
        db.execute("create or replace function pgjobs.fail_injected() returns trigger language plpgsql as $$"
                + " begin raise exception 'injected failure'; end $$");
        db.execute("create trigger " + trigger + " before insert or update on " + table + " for each row when ("
                + when + ") execute function pgjobs.fail_injected()");
    }
}
