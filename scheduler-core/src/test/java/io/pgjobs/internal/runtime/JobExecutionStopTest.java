package io.pgjobs.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobContext;
import io.pgjobs.JobHandler;
import io.pgjobs.JobState;
import io.pgjobs.internal.config.Config.Registration;
import io.pgjobs.internal.config.ObserveConfig;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.runtime.JobExecution.StopReason;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.Completion;
import io.pgjobs.spi.JobSerializer;
import io.pgjobs.spi.RetryPolicy;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A stop asked before a job's handler has started: the lease keeper can find a lease lost, or a cancel arrive,
 * between the claim and the worker thread reaching the job. Seen in the soak: a job whose next attempt was told
 * its lease was lost before it started then ran its handler past its timeout to a success, since the stop had
 * taken the reason and interrupted no thread, and the timeout could neither take it nor interrupt.
 */
class JobExecutionStopTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger handlerRuns = new AtomicInteger();
    private final AtomicReference<Completion> completion = new AtomicReference<>();
    private final AtomicBoolean notStarted = new AtomicBoolean();

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    /**
     * A handler that blocks until it is interrupted (on a latch nothing opens; a minute at most, so that a broken
     * stop fails the test instead of hanging it), under a timeout of {@code timeout}.
     */
    private JobExecution execution(Duration timeout) {
        CountDownLatch neverOpened = new CountDownLatch(1);
        JobHandler<Object> handler = new JobHandler<>() {
            @Override
            public Object handle(JobContext<Object> context) throws Exception {
                handlerRuns.incrementAndGet();
                neverOpened.await(1, TimeUnit.MINUTES);
                return null;
            }

            @Override
            public Duration timeout() {
                return timeout;
            }
        };
        JobSerializer serializer = new JobSerializer() {
            @Override
            public String toJson(Object value) {
                return "null";
            }

            @Override
            public <T> T fromJson(String json, Class<T> type) {
                return null;
            }
        };
        ExecutionEnvironment environment = new ExecutionEnvironment("node-a", serializer, RetryPolicy.defaultPolicy(),
                new Telemetry(new ObserveConfig.Builder().build(), "node-a", null), timer, null, null, 1_000,
                Duration.ofMinutes(5).toNanos());
        ClaimedJob job = new ClaimedJob(1, "test.stop", "default", 1, 1, "{}", "{}", 0, System.nanoTime(), null);
        return new JobExecution(job, new Registration<>("test.stop", Object.class, handler), environment,
                new JobExecution.Ended() {
                    @Override
                    public void ended(JobExecution execution, Completion ended) {
                        completion.set(ended);
                    }

                    @Override
                    public void notStarted(JobExecution execution) {
                        notStarted.set(true);
                    }
                });
    }

    @Test
    void aJobWhoseLeaseWasFoundLostBeforeItStartedIsGivenBackUnrun() {
        JobExecution execution = execution(Duration.ofMillis(100));

        execution.stop(StopReason.LEASE_LOST);
        execution.run();

        assertThat(handlerRuns).hasValue(0);
        assertThat(notStarted).isTrue();
        assertThat(completion.get()).isNull();
    }

    @Test
    void aHandlerAskedToStopBeforeItStartedStartsInterrupted() {
        JobExecution execution = execution(Duration.ofMillis(100));

        execution.stop(StopReason.CANCELLED);
        execution.run(); // without the interrupt at the start, the handler would wait its minute and succeed

        assertThat(handlerRuns).hasValue(1);
        assertThat(completion.get().state()).isEqualTo(JobState.CANCELLED);
    }
}
