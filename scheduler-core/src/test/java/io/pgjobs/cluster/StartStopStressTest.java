package io.pgjobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Scheduler;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Schedulers started and closed from several threads at once, many times, with every cluster loop running
 * (heartbeat, leader election, chores): afterwards no pgjobs thread is left, no leader lock is held, and every
 * node that registered is marked stopped and not leading.
 */
class StartStopStressTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @Test
    void startAndCloseRacingFromManyThreadsEndsClean() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 20; round++) {
                // two nodes per round, so leadership is contested while they start and stop
                List<Scheduler> schedulers = List.of(build(round, "x"), build(round, "y"));
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    Scheduler scheduler = schedulers.get(t % 2);
                    boolean starter = t < 2;
                    futures.add(threads.submit(() -> {
                        go.await();
                        if (starter) {
                            startUnlessClosed(scheduler);
                        } else {
                            scheduler.close();
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : futures) {
                    f.get(30, TimeUnit.SECONDS);
                }
                schedulers.forEach(Scheduler::close);
            }
        } finally {
            threads.shutdownNow();
        }
        Await.until(Duration.ofSeconds(10), "no pgjobs threads left", () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("pgjobs-")));
        assertThat(db.queryLong("select count(*) from pg_locks where locktype = 'advisory'"
                + " and database = (select oid from pg_database where datname = current_database())")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.nodes")).isPositive();
        assertThat(db.queryLong("select count(*) from pgjobs.nodes where stopped_at is null or leader_since is not null")).isZero();
    }

    private static Scheduler build(int round, String name) {
        return Scheduler.builder(db.dataSource()).nodeId("stress-" + round + "-" + name)
                .nodeDeadAfter(Duration.ofSeconds(1)).migrateOnStart(false).queue("default", 2)
                .handler("test.noop", Object.class, ctx -> null).build();
    }

    private static void startUnlessClosed(Scheduler scheduler) {
        try {
            scheduler.start();
        } catch (IllegalStateException closedFirst) {
            assertThat(closedFirst).hasMessageContaining("closed"); // a closer won the race: start is refused
        }
    }
}
