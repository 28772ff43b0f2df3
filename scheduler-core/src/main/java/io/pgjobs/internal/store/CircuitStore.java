package io.pgjobs.internal.store;

import static io.pgjobs.internal.db.Tables.CIRCUITS;
import static io.pgjobs.internal.db.Tables.PARTITION_CIRCUITS;

import io.pgjobs.CircuitBreaker;
import io.pgjobs.PartitionKey;
import io.pgjobs.admin.CircuitInfo;
import io.pgjobs.admin.PartitionCircuitInfo;
import io.pgjobs.internal.db.tables.records.CircuitsRecord;
import io.pgjobs.internal.db.tables.records.PartitionCircuitsRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The SQL of circuit breakers (docs/flow-control.md): recording the outcomes of a kind's attempts (per kind, or
 * per partition of the kind), taking the one probe of an open circuit whose cool-down is over, and what operators
 * read and do. The claims' check of open circuits is part of the claim statements ({@link ExecutionStore#claim},
 * {@link FlowStore#claimFlow}); circuits per partition take their probes in the flow claim's walk (V35).
 */
public final class CircuitStore {
    /** A circuit that changed state; {@code probeJobId} is the probe whose outcome changed it, if one did. */
    public record Change(String kind, String from, String to, String reason, Long probeJobId) {}

    /** A partition's circuit that changed state; {@code probeJobId} is the probe whose outcome changed it, if one did. */
    public record PartitionChange(String kind, String partition, String from, String to, String reason,
                                  Long probeJobId) {}

    /** The most circuits per partition that are not closed {@link #partitionCircuits} reads. */
    public static final int MAX_PARTITION_CIRCUITS = 1_000;

    private final DataSource dataSource;
    /** The longest any transaction of this store may run, or pause between statements (see Sql#inTransaction). */
    private final Duration transactionLimit;
    private final String schema;
    private final String recordSql;
    private final String takeProbeSql;
    private final String probeClaimedSql;
    private final String probeNotFoundSql;
    private final String recordPartitionsSql;

    public CircuitStore(DataSource dataSource, String schema, Duration transactionLimit) {
        this.dataSource = dataSource;
        this.transactionLimit = transactionLimit;
        this.schema = schema;
        this.recordSql = "select * from %s.record_circuit_outcomes(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)".formatted(schema);
        this.recordPartitionsSql = "select * from %s.record_partition_circuit_outcomes(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                .formatted(schema);
        // The probe is taken in its own statement before its job is claimed: the row moves to half_open without a
        // probe job, which keeps every other claimer away from the kind; a probe taken by a node that died before
        // naming its job (or whose job is no longer running while the circuit still waits for its outcome) is
        // taken again after a grace period. A probe job that is available again was put back unstarted (its node
        // could not start it within half its lease, see JobExecution): no outcome will come, so the next probe is
        // taken at once. (A probe that ran ends retryable, scheduled, cancelled or finished, never available.)
        this.takeProbeSql = """
                update %1$s.circuits c set state = 'half_open', probe_job_id = null, updated_at = now()
                where c.kind = (select kind from %1$s.circuits d
                                where d.kind = any(?)
                                  and ((d.state = 'open' and d.retry_at <= now())
                                       or (d.state = 'half_open' and d.updated_at < now() - ? * interval '1 millisecond'
                                           and not exists (select 1 from %1$s.jobs j
                                                           where j.id = d.probe_job_id and j.state = 'running'))
                                       or (d.state = 'half_open' and exists (select 1 from %1$s.jobs j
                                                           where j.id = d.probe_job_id and j.state = 'available')))
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
                bindThresholds(ps, 7, breaker);
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
     * Records the outcomes of attempts of {@code kind}, whose breaker has a circuit per partition found by
     * {@code key}, that one completion batch wrote: {@code failed} is true for a failure, false for a success,
     * null for an end that says nothing (a probe that ends so gives its circuit back, due at once). Each job's
     * partition is computed from its row; returns the partitions whose circuit changed state.
     */
    public List<PartitionChange> recordPartitions(String kind, PartitionKey key, List<Long> jobIds,
                                                  List<Boolean> failed, CircuitBreaker breaker) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(recordPartitionsSql)) {
                ps.setString(1, kind);
                ps.setString(2, key.source());
                ps.setArray(3, Sql.textArray(connection, key.path()));
                ps.setArray(4, connection.createArrayOf("int8", jobIds.toArray()));
                ps.setArray(5, connection.createArrayOf("bool", failed.toArray()));
                bindThresholds(ps, 6, breaker);
                List<PartitionChange> changes = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long probe = rs.getLong(5);
                        changes.add(new PartitionChange(kind, rs.getString(1), rs.getString(2), rs.getString(3),
                                rs.getString(4), rs.wasNull() ? null : probe));
                    }
                }
                return changes;
            }
        });
    }

    /** Binds a breaker's thresholds, cool-down last, as the recording functions take them from {@code first} on. */
    private static void bindThresholds(PreparedStatement ps, int first, CircuitBreaker breaker) throws SQLException {
        ps.setObject(first, breaker.consecutiveFailures(), Types.INTEGER);
        ps.setObject(first + 1, breaker.failureRate(), Types.DOUBLE);
        ps.setInt(first + 2, breaker.minAttempts());
        ps.setLong(first + 3, breaker.window() == null ? 0 : breaker.window().toMillis());
        ps.setLong(first + 4, breaker.coolDown().toMillis());
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

    /**
     * Whether the database's newest record of {@code kind} is one of its partitions' circuits: a partition's
     * circuit of the kind changed (recorded an outcome, or was set by hand) at or after the kind's own circuit
     * did, or the kind has none. So a kind whose breaker is per partition, once it ran, reads true; one that
     * moved to a breaker per kind reads false from its first outcome on.
     */
    public boolean recordsPerPartition(String kind) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            return dsl.fetchExists(dsl.selectOne().from(PARTITION_CIRCUITS)
                    .where(PARTITION_CIRCUITS.KIND.eq(kind))
                    .and(PARTITION_CIRCUITS.UPDATED_AT.ge(DSL.coalesce(
                            DSL.field(DSL.select(CIRCUITS.UPDATED_AT).from(CIRCUITS).where(CIRCUITS.KIND.eq(kind))),
                            DSL.field("'-infinity'::timestamptz", OffsetDateTime.class)))));
        });
    }

    /** Opens the kind's circuit for {@code coolDown} (then a probe runs), and writes {@code audit}, at once. */
    public void open(String kind, Duration coolDown, String reason, AdminStore.Audit audit) throws SQLException {
        operate(audit, dsl -> open(dsl, CircuitRow.of(kind), coolDown, reason));
    }

    /**
     * Closes the kind's circuit, counting from nothing again, or forgets it ({@code forget}: the row is deleted),
     * and writes {@code audit}, at once; returns false, having written nothing, if the kind has no circuit.
     */
    public boolean close(String kind, String reason, boolean forget, AdminStore.Audit audit) throws SQLException {
        return operate(audit, dsl -> close(dsl, CircuitRow.of(kind), reason, forget));
    }

    /**
     * The partition {@code value} names, as the claims and the circuits' records compute it (V42's
     * {@code flow_partition_value}): the value itself, or the digest of a value too long for an index entry.
     */
    public String partitionNamed(String value) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(
                    "select %s.flow_partition_value(?)".formatted(schema))) {
                ps.setString(1, value);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        });
    }

    /** As {@link #open}, for one partition's circuit of {@code kind}. */
    public void openPartition(String kind, String partition, Duration coolDown, String reason, AdminStore.Audit audit)
            throws SQLException {
        operate(audit, dsl -> open(dsl, CircuitRow.of(kind, partition), coolDown, reason));
    }

    /** As {@link #close}, for one partition's circuit of {@code kind}. */
    public boolean closePartition(String kind, String partition, String reason, boolean forget, AdminStore.Audit audit)
            throws SQLException {
        return operate(audit, dsl -> close(dsl, CircuitRow.of(kind, partition), reason, forget));
    }

    /**
     * The circuits per partition that are not closed (their jobs wait, or one probe runs), by kind and partition,
     * at most {@link #MAX_PARTITION_CIRCUITS}; among {@code kinds} only, unless that is null.
     */
    public List<PartitionCircuitInfo> partitionCircuits(List<String> kinds) throws SQLException {
        Condition ofKinds = kinds == null ? DSL.noCondition() : PARTITION_CIRCUITS.KIND.in(kinds);
        return Sql.autoCommit(dataSource, connection ->
                Sql.dsl(connection, schema).selectFrom(PARTITION_CIRCUITS)
                        .where(PARTITION_CIRCUITS.STATE.ne("closed")).and(ofKinds)
                        .orderBy(PARTITION_CIRCUITS.KIND, PARTITION_CIRCUITS.PARTITION)
                        .limit(MAX_PARTITION_CIRCUITS).fetch(CircuitStore::toInfo));
    }

    /**
     * One circuit's row: a kind's in {@code circuits}, or a partition's in {@code partition_circuits} (whose
     * columns are the same, and the partition one more key).
     */
    private record CircuitRow(Table<?> table, Condition key, Map<String, String> keyValues) {
        static CircuitRow of(String kind) {
            return new CircuitRow(CIRCUITS, CIRCUITS.KIND.eq(kind), Map.of("kind", kind));
        }

        static CircuitRow of(String kind, String partition) {
            return new CircuitRow(PARTITION_CIRCUITS,
                    PARTITION_CIRCUITS.KIND.eq(kind).and(PARTITION_CIRCUITS.PARTITION.eq(partition)),
                    Map.of("kind", kind, "partition", partition));
        }

        <T> Field<T> field(String name, Class<T> type) {
            return table.field(name, type);
        }
    }

    private static boolean open(DSLContext dsl, CircuitRow row, Duration coolDown, String reason) {
        lockOrCreate(dsl, row);
        dsl.update(row.table()).set(row.field("state", String.class), "open")
                .set(row.field("opened_at", OffsetDateTime.class), DSL.currentOffsetDateTime())
                .set(row.field("retry_at", OffsetDateTime.class), DSL.field("now() + {0} * interval '1 millisecond'",
                        SQLDataType.TIMESTAMPWITHTIMEZONE, DSL.val(coolDown.toMillis())))
                .setNull(row.field("probe_job_id", Long.class)).set(row.field("reason", String.class), reason)
                .set(row.field("updated_at", OffsetDateTime.class), DSL.currentOffsetDateTime())
                .where(row.key()).execute();
        return true;
    }

    /**
     * Closing a circuit that never recorded anything would create a row only to say it is closed, which it is:
     * a kind (or partition) without a row is one without a circuit, and nothing is written for it.
     */
    private static boolean close(DSLContext dsl, CircuitRow row, String reason, boolean forget) {
        if (!lock(dsl, row)) {
            return false;
        }
        if (forget) {
            dsl.deleteFrom(row.table()).where(row.key()).execute();
            return true;
        }
        dsl.update(row.table()).set(row.field("state", String.class), "closed")
                .set(row.field("consecutive_failures", Integer.class), 0)
                .set(row.field("window_started_at", OffsetDateTime.class), DSL.currentOffsetDateTime())
                .set(row.field("window_successes", Integer.class), 0)
                .set(row.field("window_failures", Integer.class), 0)
                .setNull(row.field("opened_at", OffsetDateTime.class))
                .setNull(row.field("retry_at", OffsetDateTime.class))
                .setNull(row.field("probe_job_id", Long.class))
                .set(row.field("reason", String.class), reason)
                .set(row.field("updated_at", OffsetDateTime.class), DSL.currentOffsetDateTime())
                .where(row.key()).execute();
        return true;
    }

    /**
     * An operator's change of a circuit and its audit entry, in one transaction; a change that found nothing to
     * change (false) writes no audit entry. Returns what the change returned.
     */
    private boolean operate(AdminStore.Audit audit, Predicate<DSLContext> change) throws SQLException {
        return Sql.inTransaction(dataSource, transactionLimit, connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            if (!change.test(dsl)) {
                return false;
            }
            AdminStore.audit(dsl, audit);
            return true;
        });
    }

    /** Locks the circuit's row, created first if it never recorded anything. */
    private static void lockOrCreate(DSLContext dsl, CircuitRow row) {
        var insert = dsl.insertInto(row.table());
        var values = new LinkedHashMap<Field<?>, Object>();
        row.keyValues().forEach((column, value) -> values.put(row.field(column, String.class), value));
        insert.set(values).onConflictDoNothing().execute();
        lock(dsl, row);
    }

    /** Locks the circuit's row; returns whether there is one. */
    private static boolean lock(DSLContext dsl, CircuitRow row) {
        return dsl.select(row.field("state", String.class)).from(row.table()).where(row.key()).forUpdate()
                .fetchOne() != null;
    }

    private static CircuitInfo toInfo(CircuitsRecord r) {
        return new CircuitInfo(r.getKind(), r.getState(), r.getConsecutiveFailures(), Sql.instant(r.getWindowStartedAt()),
                r.getWindowSuccesses(), r.getWindowFailures(), Sql.instant(r.getOpenedAt()), Sql.instant(r.getRetryAt()),
                r.getProbeJobId(), r.getReason(), Sql.instant(r.getUpdatedAt()));
    }

    private static PartitionCircuitInfo toInfo(PartitionCircuitsRecord r) {
        return new PartitionCircuitInfo(r.getKind(), r.getPartition(), r.getState(), r.getConsecutiveFailures(),
                Sql.instant(r.getWindowStartedAt()), r.getWindowSuccesses(), r.getWindowFailures(),
                Sql.instant(r.getOpenedAt()), Sql.instant(r.getRetryAt()), r.getProbeJobId(), r.getReason(),
                Sql.instant(r.getUpdatedAt()));
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
