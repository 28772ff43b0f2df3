package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.pgjobs.Health.Check;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A pool too small for pgjobs: refused at start where the pool tells its size, told apart, never a hang. */
class ConnectionPoolTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @JobKind("test.pooled")
    record Pooled(int n) {}

    private static HikariDataSource pool(int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setMaximumPoolSize(size);
        config.setPoolName("small-" + size);
        // a borrower waits long enough that only a bounded close ends its wait
        config.setConnectionTimeout(Duration.ofMinutes(5).toMillis());
        return new HikariDataSource(config);
    }

    @Test
    void startRefusesAPoolSmallerThanTheNodeNeedsAndSaysHowManyItNeeds() {
        try (HikariDataSource pool = pool(2);
             Scheduler scheduler = Scheduler.builder(pool).queue("default", 16).handler(Pooled.class, ctx -> null)
                     .build()) {
            assertThatThrownBy(scheduler::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("allows 2 connections")
                    .hasMessageContaining("needs at least 6")
                    .hasMessageContaining("notification listener");
        }
    }

    @Test
    void aQueueLimitedAsAWholeNeedsOneMoreForItsSharesKeeper() {
        try (HikariDataSource pool = pool(6);
             Scheduler scheduler = Scheduler.builder(pool).queue("default", 16).queueLimit("default", 4)
                     .handler(Pooled.class, ctx -> null).build()) {
            assertThatThrownBy(scheduler::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("allows 6 connections")
                    .hasMessageContaining("needs at least 7")
                    .hasMessageContaining("keeper of the shares");
        }
    }

    @Test
    @Timeout(180)
    void anExhaustedPoolIsToldApartFromADownDatabaseAndCloseStillReturns() throws Exception {
        Duration shutdownDeadline = Duration.ofSeconds(1);
        try (HikariDataSource pool = pool(6)) {
            Scheduler scheduler = Scheduler.builder(pool).queue("default", 16).handler(Pooled.class, ctx -> null)
                    .shutdownDeadline(shutdownDeadline).build();
            scheduler.start();
            HikariPoolMXBean stats = pool.getHikariPoolMXBean();
            Await.until(Duration.ofSeconds(30), "the node leads and listens", () -> scheduler.isLeader()
                    && stats.getActiveConnections() >= 2);
            // the application takes the rest: the node's loops now wait for connections
            List<Connection> taken = new ArrayList<>();
            try {
                while (taken.size() < 4) {
                    taken.add(pool.getConnection());
                }
                // enqueueing through the starved pool would wait too: the jobs go in on the test's own connections
                for (int i = 0; i < 16; i++) {
                    try (Connection c = db.dataSource().getConnection()) {
                        scheduler.client().enqueue(c, JobRequest.of(new Pooled(i)));
                    }
                }
                Await.until(Duration.ofSeconds(30), "the node's loops wait for connections",
                        () -> stats.getThreadsAwaitingConnection() > 0);

                Check database = assertTimeoutPreemptively(Duration.ofSeconds(30), scheduler::health).checks().stream()
                        .filter(check -> check.name().equals("database")).findFirst().orElseThrow();
                assertThat(database.status()).isEqualTo(Health.Status.DOWN);
                assertThat(database.detail()).contains("pool is exhausted, not the database", "small-6",
                        "needs 6").doesNotContain("unreachable");

                // a few seconds past the deadline, on a loaded machine; without the bound it waits minutes
                assertTimeoutPreemptively(shutdownDeadline.plusSeconds(20), scheduler::close);
            } finally {
                for (Connection c : taken) {
                    c.close();
                }
            }
        }
    }
}
