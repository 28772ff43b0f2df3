package io.pgjobs.internal.store;

import io.pgjobs.BatchStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Batches (V26, docs/workflows.md#batches): creating one with its callbacks, adding jobs to it, sealing and
 * reading it. Counting its jobs as they finish and firing its callbacks is in the database, in the trigger of
 * V26, so that every way a job finishes counts in its own transaction. Hand-written SQL.
 */
public final class BatchStore {
    /** What locking a batch found: whether it exists, and whether it is sealed. */
    public enum Lock { MISSING, OPEN, SEALED }

    private final DataSource dataSource;
    /** The longest any transaction of this store may run, or pause between statements (see Sql#inTransaction). */
    private final Duration transactionLimit;
    private final String notifyChannel;
    private final String createSql;
    private final String lockSql;
    private final String addSql;
    private final String sealSql;
    private final String fireSql;
    private final String statusSql;

    public BatchStore(DataSource dataSource, String schema, String notifyChannel, Duration transactionLimit) {
        this.dataSource = dataSource;
        this.transactionLimit = transactionLimit;
        this.notifyChannel = notifyChannel;
        String callback = """
                case when ?::text is null then null
                     else jsonb_build_object('kind', ?::text, 'queue', ?::text, 'priority', ?::int,
                                             'max_attempts', ?::int, 'args', ?::jsonb,
                                             'tags', to_jsonb(?::text[]), 'metadata', ?::jsonb) end""";
        this.createSql = """
                insert into %1$s.batches (name, on_success, on_discard, on_complete)
                values (?, %2$s, %2$s, %2$s)
                returning id
                """.formatted(schema, callback);
        this.lockSql = "select sealed from %1$s.batches where id = ? for update".formatted(schema);
        // The jobs were inserted by this transaction, so no other can have claimed them yet.
        this.addSql = """
                with added as (
                    update %1$s.jobs set batch_id = ? where id = any(?) and batch_id is null returning id
                )
                update %1$s.batches set total = total + (select count(*) from added) where id = ?
                """.formatted(schema);
        // Sealing a batch whose jobs have all finished fires its callbacks then, under the row lock the seal took
        // (a statement of its own: it must see the seal).
        this.sealSql = "update %1$s.batches set sealed = true where id = ?".formatted(schema);
        this.fireSql = "select %1$s.fire_batch_callbacks(?, ?)".formatted(schema);
        this.statusSql = """
                select id, name, sealed, total, completed, discarded, cancelled, success_job_id, discard_job_id,
                       complete_job_id
                from %1$s.batches where id = ?
                """.formatted(schema);
    }

    /** Creates a batch in the transaction of {@code connection}; null callbacks are none. */
    public long create(Connection connection, String name, NewJob onSuccess, NewJob onDiscard, NewJob onComplete)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(createSql)) {
            ps.setString(1, name);
            int next = 2;
            for (NewJob callback : new NewJob[] {onSuccess, onDiscard, onComplete}) {
                next = setCallback(connection, ps, next, callback);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static int setCallback(Connection connection, PreparedStatement ps, int at, NewJob job)
            throws SQLException {
        ps.setString(at, job == null ? null : job.kind());
        ps.setString(at + 1, job == null ? null : job.kind());
        ps.setString(at + 2, job == null ? null : job.queue());
        ps.setObject(at + 3, job == null ? null : job.priority(), Types.INTEGER);
        ps.setObject(at + 4, job == null ? null : job.maxAttempts(), Types.INTEGER);
        ps.setString(at + 5, job == null ? null : job.argsJson());
        ps.setArray(at + 6, job == null ? null : Sql.textArray(connection, job.tags()));
        ps.setString(at + 7, job == null ? null : job.metadataJson());
        return at + 8;
    }

    /** Locks batch {@code id}'s row for the rest of the transaction of {@code connection}. */
    public Lock lock(Connection connection, long id) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(lockSql)) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next() ? Lock.MISSING : rs.getBoolean(1) ? Lock.SEALED : Lock.OPEN;
            }
        }
    }

    /** Makes the jobs {@code jobIds}, just inserted in this transaction, jobs of batch {@code id}. */
    public void add(Connection connection, long id, List<Long> jobIds) throws SQLException {
        try (PreparedStatement ps = Sql.prepareForArrays(connection, addSql)) {
            ps.setLong(1, id);
            ps.setArray(2, connection.createArrayOf("int8", jobIds.toArray()));
            ps.setLong(3, id);
            ps.execute();
        }
    }

    /** Seals batch {@code id}; false when there is no such batch. */
    public boolean seal(long id) throws SQLException {
        return Sql.inTransaction(dataSource, transactionLimit, connection -> {
            try (PreparedStatement seal = connection.prepareStatement(sealSql);
                 PreparedStatement fire = connection.prepareStatement(fireSql)) {
                seal.setLong(1, id);
                if (seal.executeUpdate() == 0) {
                    return false;
                }
                fire.setLong(1, id);
                fire.setString(2, notifyChannel);
                fire.execute();
                return true;
            }
        });
    }

    public Optional<BatchStatus> status(long id) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(statusSql)) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new BatchStatus(rs.getLong(1), rs.getString(2), rs.getBoolean(3),
                            rs.getInt(4), rs.getInt(5), rs.getInt(6), rs.getInt(7), rs.getObject(8, Long.class),
                            rs.getObject(9, Long.class), rs.getObject(10, Long.class)));
                }
            }
        });
    }
}
