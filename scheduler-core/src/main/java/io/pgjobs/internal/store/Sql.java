package io.pgjobs.internal.store;

import io.pgjobs.PgJobsException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.MappedSchema;
import org.jooq.conf.RenderMapping;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.postgresql.PGStatement;

/** Small JDBC and jOOQ helpers shared by the stores. */
public final class Sql {
    /**
     * The system property that sets the level of jOOQ's one check of the server's version: the open-source
     * edition's only PostgreSQL dialect targets the newest servers, so on PostgreSQL 15 that check warned on every
     * start that the database is older than the dialect supports. pgjobs is tested on 15 and 18 (see README).
     */
    static final String JOOQ_VERSION_CHECK_LEVEL = "org.jooq.log.org.jooq.impl.DefaultExecuteContext.logVersionSupport";

    static {
        // jOOQ prints a banner and tips on first use; a library embedded in someone's app should not.
        System.setProperty("org.jooq.no-logo", System.getProperty("org.jooq.no-logo", "true"));
        System.setProperty("org.jooq.no-tips", System.getProperty("org.jooq.no-tips", "true"));
        System.setProperty(JOOQ_VERSION_CHECK_LEVEL, System.getProperty(JOOQ_VERSION_CHECK_LEVEL, "ERROR"));
    }

    /** A unit of work on a connection that may throw {@link SQLException}. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** A database call that may throw {@link SQLException}. */
    @FunctionalInterface
    public interface Call<T> {
        T call() throws SQLException;
    }

    /**
     * Runs {@code call}, turning a {@link SQLException} into a {@link PgJobsException} that says what pgjobs was
     * doing ({@code what}) and, when the statement timeout stopped it, that it was that.
     */
    public static <T> T call(String what, Call<T> call) {
        try {
            return call.call();
        } catch (SQLException e) {
            String timeout = isStatementTimeout(e) ? " (the query hit the statement timeout)" : "";
            throw new PgJobsException("pgjobs could not " + what + ": " + e.getMessage() + timeout, e);
        }
    }

    /** Whether the server cancelled the statement (its {@code statement_timeout}, or a cancel request). */
    public static boolean isStatementTimeout(SQLException e) {
        return "57014".equals(e.getSQLState());
    }

    /**
     * Runs {@code work} in its own transaction on a connection from {@code dataSource}, a transaction the server
     * ends if it outlives {@code limit}: each statement in it gets {@code limit} ({@code statement_timeout}), and
     * so does each pause between statements ({@code idle_in_transaction_session_timeout}, which ends the
     * session). pgjobs' callers pass at most the lease, so a node frozen (SIGSTOP, a VM pause, a long GC) inside
     * a transaction never holds the rows it locked, a job's among them, for longer than that: once the server
     * ends its session, the leader's rescuer, which skips locked rows, sees the job (docs/cluster.md).
     */
    public static <T> T inTransaction(DataSource dataSource, Duration limit, Work<T> work) throws SQLException {
        return transaction(dataSource, limit, false, work);
    }

    /**
     * Like {@link #inTransaction}, and without JIT compilation. For the reads and chores that walk a few index
     * entries on a big table: their plans are estimated over the whole table, so PostgreSQL JIT-compiles them,
     * and compiling costs far more than running them (docs/performance.md, "No JIT").
     */
    public static <T> T inTransactionWithoutJit(DataSource dataSource, Duration limit, Work<T> work) throws SQLException {
        return transaction(dataSource, limit, true, work);
    }

    private static <T> T transaction(DataSource dataSource, Duration limit, boolean jitOff, Work<T> work)
            throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            if (autoCommit) {
                connection.setAutoCommit(false);
            }
            T result;
            try {
                bound(connection, limit, jitOff);
                result = work.run(connection);
                connection.commit();
            } catch (SQLException | RuntimeException | Error e) {
                // on a lost connection these fail too ("Connection is closed"): kept as suppressed, so that the
                // error thrown is the one that says what happened
                rollbackQuietly(connection, e);
                if (autoCommit) {
                    restoreAutoCommitQuietly(connection, e);
                }
                throw e;
            }
            if (autoCommit) {
                connection.setAutoCommit(true);
            }
            return result;
        }
    }

    private static void restoreAutoCommitQuietly(Connection connection, Throwable failure) {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException restoreFailure) {
            failure.addSuppressed(restoreFailure);
        }
    }

    /** Sets the limits for the rest of the current transaction only: one statement, no extra round trip. */
    private static void bound(Connection connection, Duration limit, boolean jitOff) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("select set_config('statement_timeout', ?, true), "
                + "set_config('idle_in_transaction_session_timeout', ?, true), "
                + "set_config('jit', case when ? then 'off' else current_setting('jit') end, true)")) {
            String millis = limit.toMillis() + "ms";
            ps.setString(1, millis);
            ps.setString(2, millis);
            ps.setBoolean(3, jitOff);
            ps.execute();
        }
    }

    /** {@code work}, whose jOOQ statements' failures come out as the {@link SQLException} jOOQ wrapped. */
    static <T> Work<T> unwrappingJooq(Work<T> work) {
        return connection -> {
            try {
                return work.run(connection);
            } catch (org.jooq.exception.DataAccessException e) {
                SQLException cause = e.getCause(SQLException.class);
                if (cause == null) {
                    throw e;
                }
                throw cause;
            }
        };
    }

    /** Runs {@code work} on a connection from {@code dataSource} in autocommit mode (one statement). */
    public static <T> T autoCommit(DataSource dataSource, Work<T> work) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
            return work.run(connection);
        }
    }

    private static void rollbackQuietly(Connection connection, Throwable failure) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            failure.addSuppressed(rollbackFailure);
        }
    }

    /**
     * Prepares {@code sql} so that PostgreSQL plans every execution with its actual parameters. Statements over
     * arrays of job ids need that: a cached generic plan assumes an array of ten elements and joins batches of
     * thousands in nested loops, orders of magnitude slower (docs/performance.md, "What the hot path does").
     */
    public static PreparedStatement prepareForArrays(Connection connection, String sql) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        statement.unwrap(PGStatement.class).setPrepareThreshold(0);
        return statement;
    }

    /** A jOOQ context over {@code connection} that renders pgjobs' tables in the configured schema. */
    public static DSLContext dsl(Connection connection, String schema) {
        Settings settings = new Settings()
                .withRenderMapping(new RenderMapping().withSchemata(new MappedSchema().withInput("pgjobs").withOutput(schema)));
        return DSL.using(connection, SQLDialect.POSTGRES, settings);
    }

    /** Sends {@code payload} on {@code channel}, delivered when the transaction of {@code dsl} commits. */
    static void notify(DSLContext dsl, String channel, String payload) {
        dsl.select(DSL.function("pg_notify", Object.class, DSL.val(channel), DSL.val(payload))).fetch();
    }

    public static Array textArray(Connection connection, Collection<String> values) throws SQLException {
        return connection.createArrayOf("text", values.toArray(String[]::new));
    }

    public static Instant instant(OffsetDateTime value) {
        return value == null ? null : value.toInstant();
    }

    public static Instant instant(Timestamp value) {
        return value == null ? null : value.toInstant();
    }

    /** A Postgres array literal of {@code values}, quoted and escaped, for a {@code text[]} cast. */
    public static String arrayLiteral(Collection<String> values) {
        StringBuilder literal = new StringBuilder("{");
        for (String value : values) {
            if (literal.length() > 1) {
                literal.append(',');
            }
            literal.append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '"' || c == '\\') {
                    literal.append('\\');
                }
                literal.append(c);
            }
            literal.append('"');
        }
        return literal.append('}').toString();
    }

    private Sql() {}
}
