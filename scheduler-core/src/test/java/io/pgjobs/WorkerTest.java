package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.spi.RetryPolicy;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.MDC;

class WorkerTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @JobKind("test.work")
    record Work(String mode, int n) {}

    @JobKind("test.other")
    record Other(int n) {}

    private Scheduler scheduler;

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
    }

    @AfterEach
    void stop() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private Scheduler start(Scheduler.Builder builder) {
        scheduler = builder.build();
        scheduler.start();
        return scheduler;
    }

    private Job awaitFinished(long id) throws Exception {
        try {
            Await.until(Duration.ofSeconds(20), "job " + id + " finished",
                    () -> scheduler.client().get(id).orElseThrow().state().isFinished());
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": " + scheduler.client().get(id) + " "
                    + scheduler.client().attempts(id), e);
        }
        return scheduler.client().get(id).orElseThrow();
    }

    @Test
    void completesAJobStoresItsResultAndSetsTheMdc() throws Exception {
        Map<String, String> mdc = new ConcurrentHashMap<>();
        AtomicReference<Thread> worker = new AtomicReference<>();
        start(Scheduler.builder(db.dataSource()).queue("default", 4)
                .handler(Work.class, ctx -> {
                    worker.set(Thread.currentThread());
                    mdc.putAll(MDC.getCopyOfContextMap());
                    return Map.of("doubled", ctx.args().n() * 2, "attempt", ctx.attempt());
                }));
        long id = scheduler.client().enqueue(new Work("ok", 21)).id();

        Job job = awaitFinished(id);
        assertThat(job.state()).isEqualTo(JobState.COMPLETED);
        assertThat(job.result()).contains("\"doubled\": 42").contains("\"attempt\": 1");
        assertThat(job.attempt()).isEqualTo(1);
        List<JobAttempt> attempts = scheduler.client().attempts(id);
        assertThat(attempts).singleElement().satisfies(a -> {
            assertThat(a.outcome()).isEqualTo(Outcome.COMPLETED);
            assertThat(a.nodeId()).isEqualTo(scheduler.nodeId());
            assertThat(a.duration().isNegative()).isFalse();
        });
        assertThat(mdc).containsEntry("pgjobs.job_id", Long.toString(id)).containsEntry("pgjobs.kind", "test.work")
                .containsEntry("pgjobs.queue", "default").containsEntry("pgjobs.attempt", "1")
                .containsEntry("pgjobs.node", scheduler.nodeId());
        assertThat(worker.get().isVirtual()).as("handlers run on virtual threads by default").isTrue();
        assertThat(worker.get().getName()).startsWith("pgjobs-worker-");
    }

    @Test
    void retriesWithThePolicysBackoffThenSucceeds() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        start(Scheduler.builder(db.dataSource()).queue("default", 4).pollInterval(Duration.ofMillis(50))
                .retryPolicy(attempt -> Duration.ofMillis(400L * attempt))
                .handler(Work.class, ctx -> {
                    if (calls.incrementAndGet() < 3) {
                        throw new IllegalStateException("flaky " + calls.get());
                    }
                    return null;
                }));
        long id = scheduler.client().enqueue(new Work("flaky", 1)).id();

        Job job = awaitFinished(id);
        assertThat(job.state()).isEqualTo(JobState.COMPLETED);
        assertThat(job.lastError()).isEqualTo("java.lang.IllegalStateException: flaky 2");
        List<JobAttempt> attempts = scheduler.client().attempts(id);
        assertThat(attempts).extracting(JobAttempt::outcome)
                .containsExactly(Outcome.FAILED, Outcome.FAILED, Outcome.COMPLETED);
        assertThat(attempts.get(0).stackTrace()).contains("flaky 1").contains("WorkerTest");
        // the gaps follow the policy: 400 ms after the first failure, 800 ms after the second
        assertThat(Duration.between(attempts.get(0).finishedAt(), attempts.get(1).startedAt()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(390));
        assertThat(Duration.between(attempts.get(1).finishedAt(), attempts.get(2).startedAt()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(790));
    }

    @Test
    void defaultPolicyIsExponentialWithFullJitterUnderACap() {
        RetryPolicy policy = RetryPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30));
        for (int attempt = 1; attempt <= 70; attempt++) {
            long ceiling = Math.min(30_000, 1000L << Math.min(attempt - 1, 20));
            for (int i = 0; i < 50; i++) {
                assertThat(policy.delayAfter(attempt).toMillis()).isBetween(0L, ceiling);
            }
        }
    }

    @Test
    void discardsAfterTheLastAttemptKeepingTheError() throws Exception {
        start(Scheduler.builder(db.dataSource()).queue("default", 4).pollInterval(Duration.ofMillis(50))
                .retryPolicy(attempt -> Duration.ZERO)
                .handler(Work.class, ctx -> {
                    throw new IllegalStateException("always " + ctx.attempt());
                }));
        long id = scheduler.client().enqueue(JobRequest.of(new Work("fail", 1)).maxAttempts(3)).id();

        Job job = awaitFinished(id);
        assertThat(job.state()).isEqualTo(JobState.DISCARDED);
        assertThat(job.attempt()).isEqualTo(3);
        assertThat(job.lastError()).isEqualTo("java.lang.IllegalStateException: always 3");
        assertThat(scheduler.client().attempts(id)).hasSize(3).allSatisfy(a -> assertThat(a.outcome()).isEqualTo(Outcome.FAILED));
    }

    @Test
    void nonRetryableErrorsDiscardAtOnce() throws Exception {
        start(Scheduler.builder(db.dataSource()).queue("default", 4)
                .handler(Work.class, new JobHandler<>() {
                    @Override
                    public Object handle(JobContext<Work> ctx) {
                        if (ctx.args().mode().equals("custom")) {
                            throw new UnsupportedOperationException("never works");
                        }
                        throw new NonRetryableException("bad customer");
                    }

                    @Override
                    public boolean isRetryable(Throwable error) {
                        return !(error instanceof UnsupportedOperationException) && JobHandler.super.isRetryable(error);
                    }
                }));
        long marked = scheduler.client().enqueue(new Work("marked", 1)).id();
        long custom = scheduler.client().enqueue(new Work("custom", 1)).id();

        assertThat(awaitFinished(marked).state()).isEqualTo(JobState.DISCARDED);
        assertThat(awaitFinished(custom).state()).isEqualTo(JobState.DISCARDED);
        assertThat(scheduler.client().attempts(marked)).hasSize(1);
        assertThat(scheduler.client().attempts(custom)).hasSize(1);
        assertThat(scheduler.client().get(marked).orElseThrow().lastError()).contains("bad customer");
    }

    @Test
    void snoozeRunsAgainLaterWithoutSpendingAnAttempt() throws Exception {
        start(Scheduler.builder(db.dataSource()).queue("default", 4).pollInterval(Duration.ofMillis(50))
                .handler(Work.class, ctx -> {
                    if (ctx.attempt() == 1) {
                        throw new SnoozeException(Duration.ofMillis(300));
                    }
                    return "woke up";
                }));
        long id = scheduler.client().enqueue(JobRequest.of(new Work("snooze", 1)).maxAttempts(1)).id();

        Job job = awaitFinished(id);
        assertThat(job.state()).isEqualTo(JobState.COMPLETED);
        assertThat(job.maxAttempts()).isEqualTo(2);
        List<JobAttempt> attempts = scheduler.client().attempts(id);
        assertThat(attempts).extracting(JobAttempt::outcome).containsExactly(Outcome.SNOOZED, Outcome.COMPLETED);
        assertThat(Duration.between(attempts.get(0).finishedAt(), attempts.get(1).startedAt()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(290));
    }

    @Test
    void aHandlerPastItsTimeoutIsInterruptedAndRecordedAsATimeout() throws Exception {
        start(Scheduler.builder(db.dataSource()).queue("default", 4)
                .handler(Work.class, new JobHandler<>() {
                    @Override
                    public Object handle(JobContext<Work> ctx) throws InterruptedException {
                        Thread.sleep(60_000);
                        return null;
                    }

                    @Override
                    public Duration timeout() {
                        return Duration.ofMillis(200);
                    }
                }));
        long id = scheduler.client().enqueue(JobRequest.of(new Work("slow", 1)).maxAttempts(1)).id();

        Job job = awaitFinished(id);
        assertThat(job.state()).isEqualTo(JobState.DISCARDED);
        JobAttempt attempt = scheduler.client().attempts(id).getFirst();
        assertThat(attempt.outcome()).isEqualTo(Outcome.TIMEOUT);
        assertThat(attempt.message()).contains("timed out after PT0.2S");
        assertThat(attempt.duration()).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void cancellingARunningJobStopsItsHandlerAndEndsCancelled() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean sawCancel = new AtomicBoolean();
        start(Scheduler.builder(db.dataSource()).queue("default", 4)
                .handler(Work.class, ctx -> {
                    started.countDown();
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        sawCancel.set(ctx.isCancelled());
                        throw e;
                    }
                    return null;
                }));
        long id = scheduler.client().enqueue(new Work("long", 1)).id();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(scheduler.client().cancel(id)).isTrue();
        Job job = awaitFinished(id);
        assertThat(job.state()).isEqualTo(JobState.CANCELLED);
        assertThat(sawCancel).isTrue();
        assertThat(scheduler.client().attempts(id)).singleElement()
                .satisfies(a -> assertThat(a.outcome()).isEqualTo(Outcome.CANCELLED));
    }

    /**
     * A cancel request whose notification the node never heard (sent before its listener first listened, or while
     * it reconnected) is read when the listener connects again, not a third of a lease later: with a lease of an
     * hour, only that wake-up can stop the handler within the test's deadline.
     */
    @Test
    void aCancelRequestSentWhileTheListenerWasNotListeningStopsTheJobOnceItListensAgain() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        start(Scheduler.builder(db.dataSource()).queue("default", 4).leaseDuration(Duration.ofHours(1))
                .handler(Work.class, ctx -> {
                    started.countDown();
                    new CountDownLatch(1).await(); // until the cancel request interrupts it
                    return null;
                }));
        long id = scheduler.client().enqueue(new Work("long", 1)).id();
        assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
        Await.until(Duration.ofSeconds(60), "the listener is connected",
                () -> db.queryLong("select count(*) from pg_stat_activity where query like 'LISTEN%'") == 1);

        // what JobClient.cancel writes for a running job, without its notification: the one a node misses
        db.execute("update pgjobs.jobs set cancel_requested_at = now() where id = " + id);
        assertThat(db.queryLong("select count(pg_terminate_backend(pid)) from pg_stat_activity where query like 'LISTEN%'"))
                .isEqualTo(1);

        Await.until(Duration.ofSeconds(60), "the job stopped on its cancel request",
                () -> scheduler.client().get(id).orElseThrow().state().isFinished());
        assertThat(scheduler.client().get(id).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
        assertThat(scheduler.client().attempts(id)).singleElement()
                .satisfies(a -> assertThat(a.outcome()).isEqualTo(Outcome.CANCELLED));
    }

    @Test
    void argsThatDoNotDeserializeDiscardTheJobWithAClearError() throws Exception {
        start(Scheduler.builder(db.dataSource()).queue("default", 4).handler(Work.class, ctx -> null));
        long id = scheduler.client().enqueue(JobRequest.of("test.work", Map.of("n", "not a number"))).id();

        Job job = awaitFinished(id);
        assertThat(job.state()).isEqualTo(JobState.DISCARDED);
        assertThat(scheduler.client().attempts(id).getFirst().message())
                .contains("args do not deserialize as " + Work.class.getName());
    }

    @Test
    void kindsWithoutAHandlerStayPutWhileOthersRun() throws Exception {
        start(Scheduler.builder(db.dataSource()).queue("default", 4).handler(Work.class, ctx -> null));
        long unknown = scheduler.client().enqueue(new Other(1)).id();
        long known = scheduler.client().enqueue(new Work("ok", 1)).id();

        assertThat(awaitFinished(known).state()).isEqualTo(JobState.COMPLETED);
        Job stays = scheduler.client().get(unknown).orElseThrow();
        assertThat(stays.state()).isEqualTo(JobState.AVAILABLE);
        assertThat(stays.attempt()).isZero();
    }

    @Test
    void runsByPriorityThenRunTime() throws Exception {
        List<Integer> order = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 10; i++) {
            Scheduler.builder(db.dataSource()).build().client()
                    .enqueue(JobRequest.of(new Work("p", i)).priority(i % 2 == 0 ? 7 : 1));
        }
        start(Scheduler.builder(db.dataSource()).queue("default", 1).handler(Work.class, ctx -> {
            order.add(ctx.args().n());
            return null;
        }));
        Await.until(Duration.ofSeconds(20), "all ran", () -> order.size() == 10);
        assertThat(order).containsExactly(1, 3, 5, 7, 9, 0, 2, 4, 6, 8);
    }

    /**
     * Claims resume where the previous one ended while a backlog lasts; a job that sorts before that position
     * must still be taken by the next claim from the head, not after the whole backlog.
     */
    @Test
    void anUrgentJobOvertakesABacklogThatIsBeingWorkedOff() throws Exception {
        AtomicInteger slowStarted = new AtomicInteger();
        AtomicInteger slowStartedBeforeUrgent = new AtomicInteger(-1);
        start(Scheduler.builder(db.dataSource()).queue("default", 2).handler(Work.class, ctx -> {
            if (ctx.args().mode().equals("urgent")) {
                slowStartedBeforeUrgent.set(slowStarted.get());
            } else {
                slowStarted.incrementAndGet();
                Thread.sleep(30);
            }
            return null;
        }));
        List<JobRequest> backlog = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            backlog.add(JobRequest.of(new Work("slow", i)));
        }
        scheduler.client().enqueueAll(backlog);
        Await.until(Duration.ofSeconds(20), "the backlog being worked off", () -> slowStarted.get() >= 20);

        long enqueuedAt = System.nanoTime();
        scheduler.client().enqueue(JobRequest.of(new Work("urgent", 0)).priority(0));
        Await.until(Duration.ofSeconds(20), "the urgent job started", () -> slowStartedBeforeUrgent.get() >= 0);
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - enqueuedAt);

        // 300 jobs of 30 ms on 2 slots take 4.5 s; a claim from the head comes at least every 250 ms
        assertThat(slowStartedBeforeUrgent.get()).as("backlog jobs started before the urgent one").isLessThan(150);
        assertThat(waitedMs).as("ms the urgent job waited").isLessThan(2_000);
    }

    @Test
    void neverHoldsMoreJobsThanFreeSlots() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger maxRunning = new AtomicInteger();
        start(Scheduler.builder(db.dataSource()).queue("default", 3).pollInterval(Duration.ofMillis(20))
                .handler(Work.class, ctx -> {
                    release.await();
                    return null;
                }));
        for (int i = 0; i < 20; i++) {
            scheduler.client().enqueue(new Work("block", i));
        }
        Await.until(Duration.ofSeconds(10), "3 running",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'running'") == 3);
        for (int i = 0; i < 10; i++) {
            maxRunning.accumulateAndGet((int) db.queryLong("select count(*) from pgjobs.jobs where state = 'running'"), Math::max);
        }
        release.countDown();
        Await.until(Duration.ofSeconds(20), "all done",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 20);
        assertThat(maxRunning.get()).isEqualTo(3);
    }
}
