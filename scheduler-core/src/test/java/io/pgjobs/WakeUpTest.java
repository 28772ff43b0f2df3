package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Idle workers wake on LISTEN/NOTIFY, not polling, survive losing the listener connection, and leave no pooled
 * connection listening.
 */
class WakeUpTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @JobKind("test.ping")
    record Ping(long enqueuedNanos) {}

    private final BlockingQueue<Long> startDelaysNanos = new ArrayBlockingQueue<>(100);
    private Scheduler scheduler;

    @BeforeEach
    void start() {
        scheduler = Scheduler.builder(db.dataSource())
                .queue("default", 4)
                .pollInterval(Duration.ofHours(1)) // no help from polling
                .handler(Ping.class, ctx -> {
                    startDelaysNanos.add(System.nanoTime() - ctx.args().enqueuedNanos());
                    return null;
                })
                .build();
        scheduler.start();
    }

    @AfterEach
    void stop() {
        scheduler.close();
    }

    private Duration enqueueAndAwaitStart() throws InterruptedException {
        scheduler.client().enqueue(new Ping(System.nanoTime()));
        Long nanos = startDelaysNanos.poll(30, TimeUnit.SECONDS);
        assertThat(nanos).as("the job started").isNotNull();
        return Duration.ofNanos(nanos);
    }

    /*
     * The poll interval is an hour, so a start within seconds can only come from the notification. How fast the
     * wake-up is belongs to the benchmark (its latency workload), not to a test on a shared, loaded machine.
     */
    @Test
    void anIdleSchedulerIsWokenByTheNotificationNotItsPoll() throws Exception {
        enqueueAndAwaitStart(); // warm up connections and prepared statements
        for (int i = 0; i < 5; i++) {
            assertThat(enqueueAndAwaitStart()).isLessThan(Duration.ofSeconds(20));
        }
    }

    @Test
    void aStoppedSchedulerGivesBackNoConnectionThatStillListens() throws Exception {
        enqueueAndAwaitStart();
        Await.until(Duration.ofSeconds(10), "the listener is connected",
                () -> db.queryLong("select count(*) from pg_stat_activity where query like 'LISTEN%'") == 1);
        scheduler.close();

        // Every connection the pool holds, the listener's among them: a pooled connection that still listened
        // would collect notifications for whoever borrows it next.
        HikariDataSource pool = db.dataSource().unwrap(HikariDataSource.class);
        int total = pool.getHikariPoolMXBean().getTotalConnections();
        List<Connection> borrowed = new ArrayList<>();
        try {
            for (int i = 0; i < total; i++) {
                borrowed.add(pool.getConnection());
            }
            for (Connection connection : borrowed) {
                try (Statement s = connection.createStatement();
                     ResultSet rs = s.executeQuery("select count(*) from pg_listening_channels()")) {
                    rs.next();
                    assertThat(rs.getLong(1)).as("channels a pooled connection listens on").isZero();
                }
            }
        } finally {
            for (Connection connection : borrowed) {
                connection.close();
            }
        }
    }

    @Test
    void jobsStillStartAfterTheListenerConnectionIsKilled() throws Exception {
        enqueueAndAwaitStart();
        Await.until(Duration.ofSeconds(10), "the listener is connected",
                () -> db.queryLong("select count(*) from pg_stat_activity where query like 'LISTEN%'") == 1);
        long killed = db.queryLong("select count(pg_terminate_backend(pid)) from pg_stat_activity where query like 'LISTEN%'");
        assertThat(killed).isEqualTo(1);

        // enqueued while no one listens: the notification is lost, the reconnect must pick the job up
        assertThat(enqueueAndAwaitStart()).isLessThan(Duration.ofSeconds(15));
        Await.until(Duration.ofSeconds(15), "the listener reconnected",
                () -> db.queryLong("select count(*) from pg_stat_activity where query like 'LISTEN%'") == 1);
        assertThat(enqueueAndAwaitStart()).isLessThan(Duration.ofSeconds(20));
    }
}
