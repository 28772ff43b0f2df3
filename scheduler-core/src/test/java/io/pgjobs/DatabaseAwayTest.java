package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node whose database is away: its start waits for the database within the start timeout (a node restarted
 * together with its database, or during a failover), gives up with a clear error after it, and a started node's
 * loops all work again once the server is back (each is checked by what it does: fetch, complete, renew a
 * lease, listen, lead, beat, fire).
 */
class DatabaseAwayTest {
    @RegisterExtension
    static final PgDatabase db = PgDatabase.onOwnServer();

    @JobKind("test.away")
    /** A job; one that holds runs until the test releases it (see {@link #released}). */
    record Away(boolean hold) {}

    /** Opened by the test once it has seen what it waits for while a holding job runs. */
    private static volatile CountDownLatch released = new CountDownLatch(1);

    private FailureCountingDataSource dataSource;
    private Scheduler scheduler;

    @BeforeEach
    void pool() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.schedules cascade");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setMaximumPoolSize(12);
        config.setConnectionTimeout(250); // an application that fails fast when the database is away
        config.setInitializationFailTimeout(-1);
        dataSource = new FailureCountingDataSource(new HikariDataSource(config));
    }

    @AfterEach
    void close() throws Exception {
        released.countDown(); // a test that failed while a job held must not keep it waiting through the close
        db.startServer();
        if (scheduler != null) {
            scheduler.close();
        }
        dataSource.pool.close();
    }

    private Scheduler.Builder node(Duration startTimeout) {
        return Scheduler.builder(dataSource)
                .queue("default", 4)
                .leaseDuration(Duration.ofSeconds(10))
                .nodeDeadAfter(Duration.ofSeconds(10))
                .startTimeout(startTimeout)
                .handler(Away.class, ctx -> {
                    if (ctx.args().hold() && !released.await(5, TimeUnit.MINUTES)) {
                        throw new IllegalStateException("the test never released the holding job");
                    }
                    return null;
                })
                .schedule(Schedule.of("away-tick", "every 1s", "test.away", Map.of("hold", false)));
    }

    @Test
    void startWaitsForADatabaseThatIsBrieflyAway() throws Exception {
        db.stopServer();
        scheduler = node(Duration.ofMinutes(3)).build();
        CompletableFuture<Void> started = CompletableFuture.runAsync(scheduler::start);
        Await.until(Duration.ofSeconds(60), "start tried and failed to connect twice",
                () -> dataSource.failures.get() >= 2 || started.isDone());
        assertThat(started).as("start() is still waiting for the database, not failed").isNotDone();

        db.startServer();
        started.get(3, TimeUnit.MINUTES);
        long job = enqueueOnceThePoolGivesAConnection(new Away(false));
        Await.until(Duration.ofSeconds(60), "a job enqueued after the start completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed' and id = " + job) == 1);
        Await.until(Duration.ofSeconds(60), "the schedule saved at start fired",
                () -> db.queryLong("select count(*) from pgjobs.jobs where kind = 'test.away' and id <> " + job) > 0);
    }

    @Test
    void startGivesUpAfterTheStartTimeoutWithAClearError() throws Exception {
        db.stopServer();
        scheduler = node(Duration.ofSeconds(2)).build();
        assertThatThrownBy(scheduler::start)
                .isInstanceOf(PgJobsException.class)
                .hasMessageContaining("the database was not reachable within the start timeout of PT2S");
        assertThat(dataSource.failures.get()).as("tries before giving up").isGreaterThan(1);
    }

    @Test
    void everyLoopWorksAgainAfterTheServerRestarted() throws Exception {
        scheduler = node(Duration.ofMinutes(1)).build();
        scheduler.start();
        released = new CountDownLatch(1);
        long running = scheduler.client().enqueue(new Away(true)).id(); // running through the restart
        Await.until(Duration.ofSeconds(60), "the long job runs and the node leads",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'running' and id = " + running) == 1
                        && scheduler.isLeader());

        db.restartServer();
        // the pools' connections died with the server: the test's own enqueues and queries below must not meet
        // one (an application's statement on one fails once, as it would here); the node's loops meet them
        db.dataSource().unwrap(HikariDataSource.class).getHikariPoolMXBean().softEvictConnections();
        dataSource.pool.getHikariPoolMXBean().softEvictConnections();
        long restartedAt = db.queryLong("select extract(epoch from pg_postmaster_start_time()) * 1000");

        long after = enqueueOnceThePoolGivesAConnection(new Away(false)); // fetcher, worker, completer
        Await.until(Duration.ofSeconds(60), "a job enqueued after the restart completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed' and id = " + after) == 1);
        // its lease was renewed after the restart: a renewal then moves it past the restart plus the lease (10 s)
        Await.until(Duration.ofSeconds(60), "the running job's lease renewed after the restart",
                () -> db.queryLong("select count(*) from pgjobs.jobs where id = " + running
                        + " and extract(epoch from lease_expires_at) * 1000 > " + (restartedAt + 10_000)) == 1);
        released.countDown();
        Await.until(Duration.ofSeconds(60), "the job running through the restart completed on its lease",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed' and id = " + running) == 1);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + running))
                .as("its lease was renewed after the restart: one attempt, not lost and run again").isEqualTo(1);
        Await.until(Duration.ofSeconds(60), "the node leads again, holding the leader lock in a new session",
                () -> scheduler.isLeader() && db.queryLong("select count(*) from pg_locks where locktype = 'advisory'") >= 1);
        Await.until(Duration.ofSeconds(60), "the heartbeat was written after the restart",
                () -> db.queryLong("select count(*) from pgjobs.nodes where extract(epoch from heartbeat_at) * 1000 > "
                        + restartedAt) == 1);
        Await.until(Duration.ofSeconds(60), "the schedule fired after the restart",
                () -> db.queryLong("select count(*) from pgjobs.jobs where kind = 'test.away' and id > " + after) > 0);
        Await.until(Duration.ofSeconds(60), "the listener listens again",
                () -> db.queryLong("select count(*) from pg_stat_activity where query like 'LISTEN%'") == 1);
        Await.until(Duration.ofSeconds(60), "the node's health is UP: every loop alive and working",
                () -> scheduler.health().checks().stream()
                        .anyMatch(c -> c.name().equals(Health.NODE_CHECK) && c.status() == Health.Status.UP));
    }

    /**
     * The test's own enqueue once the database is back. The pool is still refilling itself (after the start, or
     * the eviction), and on a loaded machine a new connection can take longer than the pool's 250 ms, so the
     * enqueue is tried again while the pool gives no connection, as an application that fails fast would. Only
     * then: a refusal by the pool comes before any statement, so the attempt that failed inserted nothing.
     */
    private long enqueueOnceThePoolGivesAConnection(Away job) throws Exception {
        AtomicLong id = new AtomicLong();
        Await.until(Duration.ofSeconds(60), "the pool gives the application a connection again", () -> {
            try {
                id.set(scheduler.client().enqueue(job).id());
                return true;
            } catch (PgJobsException e) {
                if (e.getCause() instanceof SQLTransientConnectionException) {
                    return false;
                }
                throw e;
            }
        });
        return id.get();
    }

    /** The application's pool, counting the connections it could not give (to see that start() tried). */
    private static final class FailureCountingDataSource implements DataSource {
        final HikariDataSource pool;
        final AtomicInteger failures = new AtomicInteger();

        FailureCountingDataSource(HikariDataSource pool) {
            this.pool = pool;
        }

        @Override
        public Connection getConnection() throws SQLException {
            try {
                return pool.getConnection();
            } catch (SQLException e) {
                failures.incrementAndGet();
                throw e;
            }
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return pool.getConnection(user, password);
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return pool.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            pool.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            pool.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return pool.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return pool.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            if (iface.isInstance(pool)) {
                return iface.cast(pool);
            }
            throw new SQLException("not a " + iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return iface.isInstance(pool);
        }
    }
}
