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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An operator's action and its audit entry commit together; a bulk action that fails half-way says what it did. */
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
        db.execute("truncate pgjobs.audit_log");
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
