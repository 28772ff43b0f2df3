package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * The limits every pgjobs transaction runs under hold for that transaction and go with it; a transaction that
 * pauses past its limit is ended by the server (so a frozen node releases its locks); jOOQ runs quietly on the
 * PostgreSQL versions pgjobs supports.
 */
class SqlTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    /**
     * A transaction whose session the server ended throws the error that says so, not the pool's "Connection is
     * closed" from putting the dead connection back in autocommit (that one is kept as suppressed): a node's start
     * tells a lost connection by it, and retries.
     */
    @Test
    void aTransactionOnALostConnectionThrowsTheConnectionError() {
        SQLException thrown = catchThrowableOfType(SQLException.class, () -> Sql.inTransaction(db.dataSource(),
                Duration.ofSeconds(30), c -> {
                    String pid = firstValue(c, "select pg_backend_pid()::text");
                    db.execute("select pg_terminate_backend(" + pid + ")");
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (db.queryLong("select count(*) from pg_stat_activity where pid = " + pid) > 0
                            && System.nanoTime() < deadline) {
                        java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // until the session ended
                    }
                    return firstValue(c, "select 1::text");
                }));
        assertThat((Throwable) thrown).as("the error thrown").isNotNull();
        assertThat(thrown.getMessage()).as("the error thrown").doesNotContain("Connection is closed");
        assertThat(ConnectionErrors.isConnectionError(thrown)).as("a connection error: " + thrown).isTrue();
    }

    @Test
    void aLimitedTransactionHasTheTimeoutsAndNoJitAndLeavesTheSessionAsItWas() throws Exception {
        String jitBefore;
        String timeoutBefore;
        try (Connection c = db.dataSource().getConnection()) {
            jitBefore = setting(c, "jit");
            timeoutBefore = setting(c, "statement_timeout");
        }
        Sql.inTransactionWithoutJit(db.dataSource(), Duration.ofMillis(200), c -> {
            assertThat(setting(c, "jit")).isEqualTo("off");
            assertThat(setting(c, "statement_timeout")).isEqualTo("200ms");
            assertThat(setting(c, "idle_in_transaction_session_timeout")).isEqualTo("200ms");
            assertThatThrownBy(() -> firstValue(c, "select pg_sleep(1)::text"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("statement timeout");
            return null;
        });
        try (Connection c = db.dataSource().getConnection()) {
            assertThat(setting(c, "jit")).isEqualTo(jitBefore);
            assertThat(setting(c, "statement_timeout")).isEqualTo(timeoutBefore);
            assertThat(setting(c, "idle_in_transaction_session_timeout")).isEqualTo("0");
        }
        Sql.inTransaction(db.dataSource(), Duration.ofSeconds(3), c -> {
            assertThat(setting(c, "jit")).isEqualTo(jitBefore);
            assertThat(setting(c, "statement_timeout")).isEqualTo("3s");
            return null;
        });
    }

    @Test
    void theServerEndsATransactionThatPausesLongerThanItsLimit() throws Exception {
        CountDownLatch resume = new CountDownLatch(1);
        CompletableFuture<Long> session = new CompletableFuture<>();
        CompletableFuture<Object> transaction = CompletableFuture.supplyAsync(() -> {
            try {
                return Sql.inTransaction(db.dataSource(), Duration.ofMillis(500), c -> {
                    firstValue(c, "select count(*)::text from (select id from pgjobs.jobs limit 1 for update) locked");
                    session.complete(Long.parseLong(firstValue(c, "select pg_backend_pid()::text")));
                    try {
                        resume.await(); // the frozen node: its transaction is open, nothing is sent
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return firstValue(c, "select 1::text");
                });
            } catch (SQLException e) {
                return e;
            }
        });
        long pid = session.get(30, TimeUnit.SECONDS);
        Await.until(Duration.ofSeconds(30), "the server ends the idle transaction's session",
                () -> db.queryLong("select count(*) from pg_stat_activity where pid = " + pid) == 0);
        resume.countDown();
        assertThat(transaction.get(30, TimeUnit.SECONDS)).isInstanceOf(SQLException.class);
    }

    @Test
    void jooqDoesNotWarnThatTheServerIsOlderThanItsDialect() throws Exception {
        Logger jooq = (Logger) LoggerFactory.getLogger("org.jooq");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        jooq.addAppender(logged);
        try (Connection c = db.connect()) {
            Sql.dsl(reportingVersion(c, 15), "pgjobs").selectOne().fetch();
        } finally {
            jooq.detachAppender(logged);
        }
        assertThat(logged.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .extracting(ILoggingEvent::getFormattedMessage).isEmpty();
    }

    /** {@code c}, as if its server were of major version {@code major}: what jOOQ reads to check the version. */
    private static Connection reportingVersion(Connection c, int major) throws SQLException {
        DatabaseMetaData real = c.getMetaData();
        DatabaseMetaData old = (DatabaseMetaData) Proxy.newProxyInstance(SqlTest.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getDatabaseMajorVersion" -> major;
                    case "getDatabaseMinorVersion" -> 0;
                    case "getDatabaseProductVersion" -> major + ".0";
                    default -> invoke(method, real, args);
                });
        return (Connection) Proxy.newProxyInstance(SqlTest.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> method.getName().equals("getMetaData") ? old : invoke(method, c, args));
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static String setting(Connection c, String name) throws SQLException {
        return firstValue(c, "select current_setting('" + name + "')");
    }

    private static String firstValue(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }
}
