package io.pgjobs.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The lease keeper reads the attempts it holds before its renewal runs. When an attempt ends in between (the job
 * left retryable, missing from the renewal's answer) and the node claims and starts the job's next attempt before
 * the answer is read, that next attempt is the node's own and must go on. Keyed by job alone, the keeper took the
 * missing job for a lost lease and stopped the new attempt (the soak's hour saw one given back unrun).
 *
 * <p>The renewal is held at two points by the data source the node is given: before its statement runs, until the
 * first attempt has ended, and after its answer came back, until the second attempt's handler has started.
 */
class LeaseKeeperAttemptTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    /** Long enough that no lease runs out while the test holds a renewal, and renewals come every 10 s. */
    private static final Duration LEASE = Duration.ofSeconds(30);

    @JobKind("test.lease-keeper-attempt")
    record FailsOnce() {}

    @Test
    void aRenewalThatRanBetweenTwoAttemptsLeavesTheNextAttemptRunning() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
        HeldRenewal renewal = new HeldRenewal();
        CountDownLatch endFirstAttempt = new CountDownLatch(1);
        CountDownLatch secondAttemptStarted = new CountDownLatch(1);
        CountDownLatch endSecondAttempt = new CountDownLatch(1);
        AtomicBoolean secondAttemptStopped = new AtomicBoolean();
        AtomicInteger firstAttemptRuns = new AtomicInteger();

        try (Scheduler scheduler = Scheduler.builder(renewal.around(db.dataSource())).nodeId("lease-keeper-node")
                .leaseDuration(LEASE).pollInterval(Duration.ofMillis(200)).queue("default", 2)
                .retryPolicy(failedAttempt -> Duration.ofHours(1)) // the retry runs when the test says so
                .handler(FailsOnce.class, ctx -> {
                    if (ctx.attempt() == 1) {
                        firstAttemptRuns.incrementAndGet();
                        endFirstAttempt.await(2, TimeUnit.MINUTES);
                        throw new IllegalStateException("the first attempt fails");
                    }
                    secondAttemptStarted.countDown();
                    try {
                        endSecondAttempt.await(2, TimeUnit.MINUTES);
                    } catch (InterruptedException e) {
                        secondAttemptStopped.set(true);
                        throw e;
                    }
                    secondAttemptStopped.compareAndSet(false, ctx.isCancelled());
                    return null;
                })
                .build()) {
            scheduler.start();
            long job = scheduler.client().enqueue(JobRequest.of(new FailsOnce())).id();
            Await.until(Duration.ofSeconds(60), "the first attempt started", () -> firstAttemptRuns.get() == 1);

            renewal.hold();
            assertThat(renewal.reachedStatement.await(2, TimeUnit.MINUTES))
                    .as("a renewal of the first attempt's lease reached its statement").isTrue();
            endFirstAttempt.countDown();
            Await.until(Duration.ofSeconds(60), "the first attempt's end written (retryable)",
                    () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'retryable' and id = " + job) == 1);

            renewal.runStatement.countDown();
            assertThat(renewal.answered.await(2, TimeUnit.MINUTES)).as("the renewal answered").isTrue();
            assertThat(scheduler.client().retry(job)).as("the retry made due now").isTrue();
            assertThat(secondAttemptStarted.await(2, TimeUnit.MINUTES)).as("the second attempt started").isTrue();

            renewal.returnAnswer.countDown(); // the keeper reads an answer without the job, the second attempt running
            // done with that answer once it has stopped the second attempt, or once its next round began
            Await.until(Duration.ofSeconds(120), "the keeper acted on the held answer",
                    () -> secondAttemptStopped.get() || renewal.nextStatement.getCount() == 0);
            assertThat(secondAttemptStopped).as("the second attempt was told to stop").isFalse();
            endSecondAttempt.countDown();
            Await.until(Duration.ofSeconds(60), "the second attempt's end written", () -> db.queryLong(
                    "select count(*) from pgjobs.attempts where attempt = 2 and finished_at is not null and job_id = "
                            + job) == 1);

            assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + job
                    + " and attempt = 2 and outcome = 'completed'")).as("the second attempt completed").isOne();
            assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + job))
                    .as("one failed attempt and one completed, none given back or lost").isEqualTo(2);
        }
    }

    /**
     * A data source whose next lease renewal, once {@link #hold} was called, waits before its statement runs and
     * again after the answer came back; the renewal after that one only says it began.
     */
    private static final class HeldRenewal {
        private static final String RENEWAL = "set lease_expires_at = statement_timestamp()";
        private static final int IDLE = 0, HOLDING = 1, STATEMENT_HELD = 2, ANSWER_HELD = 3;

        private final AtomicInteger stage = new AtomicInteger(IDLE);
        final CountDownLatch reachedStatement = new CountDownLatch(1);
        final CountDownLatch runStatement = new CountDownLatch(1);
        final CountDownLatch answered = new CountDownLatch(1);
        final CountDownLatch returnAnswer = new CountDownLatch(1);
        final CountDownLatch nextStatement = new CountDownLatch(1);

        void hold() {
            stage.set(HOLDING);
        }

        DataSource around(DataSource dataSource) {
            return wrap(DataSource.class, dataSource, (method, args, call) -> {
                Object result = call.call();
                return method.getName().equals("getConnection") ? wrap(Connection.class, (Connection) result,
                        (m, a, c) -> {
                            Object r = c.call();
                            return m.getName().equals("prepareStatement") && a[0] instanceof String sql
                                    && sql.contains(RENEWAL) ? renewal((PreparedStatement) r) : r;
                        }) : result;
            });
        }

        private PreparedStatement renewal(PreparedStatement statement) {
            return wrap(PreparedStatement.class, statement, (method, args, call) -> {
                if (!method.getName().equals("executeQuery")) {
                    return call.call();
                }
                if (stage.get() == ANSWER_HELD) {
                    nextStatement.countDown();
                    return call.call();
                }
                if (!stage.compareAndSet(HOLDING, STATEMENT_HELD)) {
                    return call.call();
                }
                reachedStatement.countDown();
                runStatement.await(2, TimeUnit.MINUTES);
                Object result = call.call();
                stage.set(ANSWER_HELD);
                answered.countDown();
                returnAnswer.await(2, TimeUnit.MINUTES);
                return result;
            });
        }

        /** What a wrapper does in place of a call of the wrapped object's method ({@code call} makes that call). */
        private interface Around {
            Object invoke(Method method, Object[] args, Callable<Object> call) throws Exception;
        }

        @SuppressWarnings("unchecked")
        private static <T> T wrap(Class<T> type, T target, Around around) {
            InvocationHandler handler = (proxy, method, args) -> {
                try {
                    return around.invoke(method, args, () -> method.invoke(target, args));
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            };
            return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
        }
    }
}
