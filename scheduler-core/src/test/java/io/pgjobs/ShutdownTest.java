package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ShutdownTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @JobKind("test.sleep")
    record Sleep(long millis) {}

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
    }

    @Test
    void jobsStillRunningAtTheDeadlineArePutBackAndNothingIsLost() throws Exception {
        CountDownLatch started = new CountDownLatch(4);
        Scheduler first = Scheduler.builder(db.dataSource()).queue("default", 4)
                .shutdownDeadline(Duration.ofMillis(300))
                .handler(Sleep.class, ctx -> {
                    started.countDown();
                    Thread.sleep(ctx.args().millis());
                    return null;
                })
                .build();
        first.start();
        for (int i = 0; i < 4; i++) {
            first.client().enqueue(JobRequest.of(new Sleep(60_000)).maxAttempts(1));
        }
        for (int i = 0; i < 6; i++) {
            first.client().enqueue(JobRequest.of(new Sleep(1)).maxAttempts(1));
        }
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        first.close();

        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'running'")).isZero();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'available' and max_attempts = 2")).isEqualTo(4);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts where outcome = 'interrupted'")).isEqualTo(4);

        AtomicInteger ran = new AtomicInteger();
        try (Scheduler second = Scheduler.builder(db.dataSource()).queue("default", 8)
                .handler(Sleep.class, ctx -> ran.incrementAndGet()).build()) {
            second.start();
            Await.until(Duration.ofSeconds(20), "every job completed",
                    () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 10);
        }
        assertThat(ran.get()).isBetween(4, 10);
    }

    @Test
    void aHandlerThatIgnoresInterruptsIsAbandonedAndItsJobPutBack() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch forever = new CountDownLatch(1);
        Scheduler scheduler = Scheduler.builder(db.dataSource()).queue("default", 1)
                .shutdownDeadline(Duration.ZERO)
                .handler(Sleep.class, ctx -> {
                    started.countDown();
                    while (forever.getCount() > 0) {
                        try {
                            forever.await();
                        } catch (InterruptedException ignoredOnPurpose) {
                            Thread.onSpinWait(); // this handler deliberately refuses to stop
                        }
                    }
                    return null;
                })
                .build();
        scheduler.start();
        long id = scheduler.client().enqueue(new Sleep(0)).id();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        scheduler.close();
        forever.countDown();

        Job job = scheduler.client().get(id).orElseThrow();
        assertThat(job.state()).isEqualTo(JobState.AVAILABLE);
        assertThat(scheduler.client().attempts(id)).singleElement()
                .satisfies(a -> assertThat(a.outcome()).isEqualTo(Outcome.INTERRUPTED));
    }

    @Test
    void closeIsHarmlessTwiceOrBeforeStartAndAClosedSchedulerCannotRestart() {
        Scheduler never = Scheduler.builder(db.dataSource()).queue("default", 1).build();
        never.close();
        never.close();

        Scheduler twice = Scheduler.builder(db.dataSource()).queue("default", 1).build();
        twice.start();
        twice.start();
        twice.close();
        twice.close();
        assertThatThrownBy(twice::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void theHostsExecutorIsNeverShutDown() throws Exception {
        ExecutorService hosts = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch ran = new CountDownLatch(1);
            AtomicReference<Thread> worker = new AtomicReference<>();
            Scheduler scheduler = Scheduler.builder(db.dataSource()).queue("default", 2).executor(hosts)
                    .handler(Sleep.class, ctx -> {
                        worker.set(Thread.currentThread());
                        ran.countDown();
                        return null;
                    })
                    .build();
            scheduler.start();
            scheduler.client().enqueue(new Sleep(0));
            assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(worker.get().isVirtual()).as("the handler ran on the host's platform threads").isFalse();
            scheduler.close();
            assertThat(hosts.isShutdown()).isFalse();
            assertThat(hosts.submit(() -> 42).get()).isEqualTo(42);
        } finally {
            hosts.shutdownNow();
        }
    }

    @Test
    void startAndStopFromManyThreadsEndsClean() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        for (int round = 0; round < 10; round++) {
            Scheduler scheduler = Scheduler.builder(db.dataSource()).queue("default", 2)
                    .handler(Sleep.class, ctx -> null).build();
            CountDownLatch go = new CountDownLatch(1);
            var futures = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            for (int t = 0; t < 4; t++) {
                boolean starter = t % 2 == 0;
                futures.add(threads.submit(() -> {
                    go.await();
                    if (starter) {
                        try {
                            scheduler.start();
                        } catch (IllegalStateException alreadyClosed) {
                            return null; // a closer won the race: starting a closed scheduler is refused
                        }
                    } else {
                        scheduler.close();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (var f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
            scheduler.close();
        }
        threads.shutdown();
        Await.until(Duration.ofSeconds(10), "no pgjobs threads left", () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("pgjobs-fetch") || t.getName().startsWith("pgjobs-listener")
                        || t.getName().startsWith("pgjobs-completer") || t.getName().startsWith("pgjobs-lease")));
    }
}
