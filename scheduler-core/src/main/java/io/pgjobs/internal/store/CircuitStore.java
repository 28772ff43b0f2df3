package io.pgjobs.internal.store;

import static io.pgjobs.internal.db.Tables.CIRCUITS;

import io.pgjobs.CircuitBreaker;
import io.pgjobs.admin.CircuitInfo;
import io.pgjobs.internal.db.tables.records.CircuitsRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The SQL of circuit breakers (docs/flow-control.md): recording the outcomes of a kind's attempts, taking the
 * one probe of an open circuit whose cool-down is over, and what operators read and do. The claims' check of
 * open circuits is part of the claim statements ({@link ExecutionStore#claim}, {@link FlowStore#claimFlow}).
 */
public final class CircuitStore {
    /** A circuit that changed state; {@code probeJobId} is the probe whose outcome changed it, if one did. */
    public record Change(String kind, String from, String to, String reason, Long probeJobId) {}

    private final DataSource dataSource;
    /** The longest any transaction of this store may run, or pause between statements (see Sql#inTransaction). */
    private final Duration transactionLimit;
    private final String schema;
    private final String recordSql;
    private final String takeProbeSql;
    private final String probeClaimedSql;
    private final String probeNotFoundSql;

    public CircuitStore(DataSource dataSource, String schema, Duration transactionLimit) {
        this.dataSource = dataSource;
        this.transactionLimit = transactionLimit;
        this.schema = schema;
        this.recordSql = "select * from %s.record_circuit_outcomes(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)".formatted(schema);
        // The probe is taken in its own statement before its job is claimed: the row moves to half_open without a
        // probe job, which keeps every other claimer away from the kind; a probe taken by a node that died before
        // naming its job (or whose job is no longer running while the circuit still waits for its outcome) is
        // taken again after a grace period.
        this.takeProbeSql = """
                update %1$s.circuits c set state = 'half_open', probe_job_id = null, updated_at = now()
                where c.kind = (select kind from %1$s.circuits d
                                where d.kind = any(?)
                                  and ((d.state = 'open' and d.retry_at <= now())
                                       or (d.state = 'half_open' and d.updated_at < now() - ? * interval '1 millisecond'
                                           and not exists (select 1 from %1$s.jobs j
                                                           where j.id = d.probe_job_id and j.state = 'running')))
                                order by d.retry_at limit 1 for update skip locked)
                returning c.kind
                """.formatted(schema);
        this.probeClaimedSql = "update %s.circuits set probe_job_id = ?, updated_at = now() where kind = ? and state = 'half_open'"
                .formatted(schema);
        // nothing to probe with: the circuit stays open and due, for the next claimer that has one of its jobs
        this.probeNotFoundSql = """
                update %s.circuits set state = 'open', updated_at = now()
                where kind = ? and state = 'half_open' and probe_job_id is null
                """.formatted(schema);
    }

    /**
     * Records, under the kind's row lock, the outcomes of attempts of {@code kind} that one completion batch
     * wrote; returns the change of state this caused, if any.
     */
    public Optional<Change> record(String kind, int successes, int failures, int trailingFailures,
                                   List<Long> probeIds, List<Boolean> probeFailed, CircuitBreaker breaker)
            throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(recordSql)) {
                ps.setString(1, kind);
                ps.setInt(2, successes);
                ps.setInt(3, failures);
                ps.setInt(4, trailingFailures);
                ps.setArray(5, connection.createArrayOf("int8", probeIds.toArray()));
                ps.setArray(6, connection.createArrayOf("bool", probeFailed.toArray()));
                ps.setObject(7, breaker.consecutiveFailures(), Types.INTEGER);
                ps.setObject(8, breaker.failureRate(), Types.DOUBLE);
                ps.setInt(9, breaker.minAttempts());
                ps.setLong(10, breaker.window() == null ? 0 : breaker.window().toMillis());
                ps.setLong(11, breaker.coolDown().toMillis());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    String from = rs.getString(1), to = rs.getString(2);
                    long probe = rs.getLong(4);
                    return from.equals(to) ? Optional.empty()
                            : Optional.of(new Change(kind, from, to, rs.getString(3), rs.wasNull() ? null : probe));
                }
            }
        });
    }

    /**
     * Takes the probe of one circuit among {@code kinds} that is open and due (or whose probe was lost more
     * than {@code graceMs} ago); returns its kind. The caller then claims one job of it and names it with
     * {@link #probeClaimed}, or gives the probe back with {@link #probeNotFound}.
     */
    public Optional<String> takeProbe(List<String> kinds, long graceMs) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(takeProbeSql)) {
                ps.setArray(1, Sql.textArray(connection, kinds));
                ps.setLong(2, graceMs);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
            }
        });
    }

    public void probeClaimed(String kind, long jobId) throws SQLException {
        Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(probeClaimedSql)) {
                ps.setLong(1, jobId);
                ps.setString(2, kind);
                return ps.executeUpdate();
            }
        });
    }

    public void probeNotFound(String kind) throws SQLException {
        Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(probeNotFoundSql)) {
                ps.setString(1, kind);
                return ps.executeUpdate();
            }
        });
    }

    // ---- what operators read and do ------------------------------------------------------------------------

    public List<CircuitInfo> circuits() throws SQLException {
        return Sql.autoCommit(dataSource, connection ->
                Sql.dsl(connection, schema).selectFrom(CIRCUITS).orderBy(CIRCUITS.KIND).fetch(CircuitStore::toInfo));
    }

    /** The circuits among {@code kinds} that are not closed. */
    public List<CircuitInfo> notClosed(List<String> kinds) throws SQLException {
        return Sql.autoCommit(dataSource, connection ->
                Sql.dsl(connection, schema).selectFrom(CIRCUITS)
                        .where(CIRCUITS.KIND.in(kinds)).and(CIRCUITS.STATE.ne("closed"))
                        .orderBy(CIRCUITS.KIND).fetch(CircuitStore::toInfo));
    }

    /** Opens the kind's circuit for {@code coolDown} (then a probe runs), and writes {@code audit}, at once. */
    public void open(String kind, Duration coolDown, String reason, AdminStore.Audit audit) throws SQLException {
        operate(audit, dsl -> {
            lockOrCreate(dsl, kind);
            dsl.update(CIRCUITS).set(CIRCUITS.STATE, "open")
                    .set(CIRCUITS.OPENED_AT, DSL.currentOffsetDateTime())
                    .set(CIRCUITS.RETRY_AT, DSL.field("now() + {0} * interval '1 millisecond'",
                            SQLDataType.TIMESTAMPWITHTIMEZONE, DSL.val(coolDown.toMillis())))
                    .setNull(CIRCUITS.PROBE_JOB_ID).set(CIRCUITS.REASON, reason)
                    .set(CIRCUITS.UPDATED_AT, DSL.currentOffsetDateTime())
                    .where(CIRCUITS.KIND.eq(kind)).execute();
        });
    }

    /**
     * Closes the kind's circuit, counting from nothing again, or forgets it ({@code forget}: the row is deleted),
     * and writes {@code audit}, at once.
     */
    public void close(String kind, String reason, boolean forget, AdminStore.Audit audit) throws SQLException {
        operate(audit, dsl -> {
            lockOrCreate(dsl, kind);
            if (forget) {
                dsl.deleteFrom(CIRCUITS).where(CIRCUITS.KIND.eq(kind)).execute();
            } else {
                dsl.update(CIRCUITS).set(CIRCUITS.STATE, "closed").set(CIRCUITS.CONSECUTIVE_FAILURES, 0)
                        .set(CIRCUITS.WINDOW_STARTED_AT, DSL.currentOffsetDateTime())
                        .set(CIRCUITS.WINDOW_SUCCESSES, 0).set(CIRCUITS.WINDOW_FAILURES, 0)
                        .setNull(CIRCUITS.OPENED_AT).setNull(CIRCUITS.RETRY_AT).setNull(CIRCUITS.PROBE_JOB_ID)
                        .set(CIRCUITS.REASON, reason).set(CIRCUITS.UPDATED_AT, DSL.currentOffsetDateTime())
                        .where(CIRCUITS.KIND.eq(kind)).execute();
            }
        });
    }

    /** An operator's change of a circuit and its audit entry, in one transaction. */
    private void operate(AdminStore.Audit audit, Consumer<DSLContext> change) throws SQLException {
        Sql.inTransaction(dataSource, transactionLimit, connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            change.accept(dsl);
            AdminStore.audit(dsl, audit);
            return null;
        });
    }

    /** Locks the kind's row, created first if the kind never recorded anything. */
    private static void lockOrCreate(DSLContext dsl, String kind) {
        dsl.insertInto(CIRCUITS).set(CIRCUITS.KIND, kind).onConflictDoNothing().execute();
        dsl.select(CIRCUITS.STATE).from(CIRCUITS).where(CIRCUITS.KIND.eq(kind)).forUpdate().fetchOne();
    }

    private static CircuitInfo toInfo(CircuitsRecord r) {
        return new CircuitInfo(r.getKind(), r.getState(), r.getConsecutiveFailures(), Sql.instant(r.getWindowStartedAt()),
                r.getWindowSuccesses(), r.getWindowFailures(), Sql.instant(r.getOpenedAt()), Sql.instant(r.getRetryAt()),
                r.getProbeJobId(), r.getReason(), Sql.instant(r.getUpdatedAt()));
    }

    /**
     * Binds the parameters every claim starts with: the queue, the kinds (and the kinds with a circuit breaker,
     * when there are any: the claim's SQL then filters them with {@link #closedKindsOf}), how many, the node and
     * its lease. Returns the index of the next parameter.
     */
    static int bindClaim(PreparedStatement ps, Connection connection, String queue, List<String> kinds,
                         List<String> guardedKinds, int limit, String nodeId, long leaseMs) throws SQLException {
        int p = 1;
        ps.setString(p++, queue);
        ps.setArray(p++, Sql.textArray(connection, kinds));
        if (!guardedKinds.isEmpty()) {
            ps.setArray(p++, Sql.textArray(connection, guardedKinds));
        }
        ps.setInt(p++, limit);
        ps.setString(p++, nodeId);
        ps.setLong(p++, leaseMs);
        return p;
    }

    /** The claims' filter: {@code kinds} without the ones whose circuit is not closed, as a text[] expression. */
    static String closedKindsOf(String schema, String kindsParameter) {
        return "array(select k from unnest(%2$s) k where not exists (select 1 from %1$s.circuits c where c.kind = k and c.state <> 'closed'))"
                .formatted(schema, kindsParameter);
    }
}
