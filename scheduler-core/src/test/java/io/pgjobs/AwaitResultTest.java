package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The waiting client polls only every hour here, so a wait that ends before the test's deadline was woken by the
 * notification of the statement that finished the job.
 */
class AwaitResultTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    private static final Duration NEVER_POLLS = Duration.ofHours(1);
    private static final Duration LONG_WAIT = Duration.ofMinutes(10);

    @JobKind("test.render")
    record Render(String mode) {}

    private final CountDownLatch release = new CountDownLatch(1);
    private Scheduler worker;
    /** A client of a scheduler that is never started, as in an application that only enqueues. */
    private JobClient client;

    @BeforeEach
    void setUp() {
        worker = schedulers.start(Scheduler.builder(db.dataSource()).queue("default", 4)
                .handler(Render.class, ctx -> {
                    release.await(60, TimeUnit.SECONDS);
                    return switch (ctx.args().mode()) {
                        case "fail" -> throw new NonRetryableException("the template is broken");
                        case "nothing" -> null;
                        default -> "rendered " + ctx.args().mode();
                    };
                }));
        client = schedulers.build(Scheduler.builder(db.dataSource()).resultPollInterval(NEVER_POLLS)).client();
    }

    private void awaitRunning(long id) throws Exception {
        Await.until(Duration.ofSeconds(30), "job " + id + " running",
                () -> client.get(id).orElseThrow().state() == JobState.RUNNING);
    }

    @Test
    void aWaitIsWokenByTheCompletionsNotification() throws Exception {
        long id = client.enqueue(new Render("invoice")).id();
        awaitRunning(id);
        CompletableFuture<String> result = client.awaitResultAsync(id, LONG_WAIT);
        assertThat(result).isNotDone();

        release.countDown();

        assertThat(result.get(2, TimeUnit.MINUTES)).isEqualTo("\"rendered invoice\"");
        assertThat(client.awaitResult(id, LONG_WAIT)).as("a finished job answers at once")
                .isEqualTo("\"rendered invoice\"");
    }

    @Test
    void manyWaitersOfOneJobAndOfSeveralJobsAreAllWoken() throws Exception {
        long first = client.enqueue(new Render("a")).id();
        long second = client.enqueue(new Render("nothing")).id();
        awaitRunning(first);
        awaitRunning(second);
        CompletableFuture<String> a1 = client.awaitResultAsync(first, LONG_WAIT);
        CompletableFuture<String> a2 = client.awaitResultAsync(first, LONG_WAIT);
        CompletableFuture<String> b = client.awaitResultAsync(second, LONG_WAIT);

        release.countDown();

        assertThat(a1.get(2, TimeUnit.MINUTES)).isEqualTo("\"rendered a\"");
        assertThat(a2.get(2, TimeUnit.MINUTES)).isEqualTo("\"rendered a\"");
        assertThat(b.get(2, TimeUnit.MINUTES)).as("a handler that returned nothing").isNull();
    }

    @Test
    void aDiscardedJobsErrorIsThrown() throws Exception {
        long id = client.enqueue(new Render("fail")).id();
        awaitRunning(id);
        CompletableFuture<String> result = client.awaitResultAsync(id, LONG_WAIT);

        release.countDown();

        assertThatThrownBy(() -> result.get(2, TimeUnit.MINUTES)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(JobFailedException.class, failed -> {
                    assertThat(failed.jobId()).isEqualTo(id);
                    assertThat(failed.state()).isEqualTo(JobState.DISCARDED);
                    assertThat(failed.error()).contains("the template is broken");
                });
        assertThatThrownBy(() -> client.awaitResult(id, LONG_WAIT)).isInstanceOf(JobFailedException.class)
                .hasMessageStartingWith("job " + id + " was discarded: ");
    }

    @Test
    void aJobCancelledBeforeItRunsWakesItsWaiter() throws Exception {
        long id = client.enqueue(JobRequest.of(new Render("later")).delay(Duration.ofHours(1))).id();
        CompletableFuture<String> result = client.awaitResultAsync(id, LONG_WAIT);

        client.cancel(id);

        assertThatThrownBy(() -> result.get(2, TimeUnit.MINUTES)).cause()
                .isInstanceOfSatisfying(JobFailedException.class,
                        failed -> assertThat(failed.state()).isEqualTo(JobState.CANCELLED));
    }

    @Test
    void aJobTheRescuerDiscardsWakesItsWaiter() throws Exception {
        long id = client.enqueue(JobRequest.of(new Render("lost")).delay(Duration.ofHours(1)).maxAttempts(1)).id();
        CompletableFuture<String> result = client.awaitResultAsync(id, LONG_WAIT);
        // as if a node that has since died had claimed it, with its only attempt, and let its lease run out
        db.execute("update pgjobs.jobs set state = 'running', attempt = 1, node_id = 'dead-node', started_at = now(), "
                + "lease_expires_at = now() - interval '1 minute' where id = " + id);

        assertThatThrownBy(() -> result.get(2, TimeUnit.MINUTES)).cause()
                .isInstanceOfSatisfying(JobFailedException.class, failed -> {
                    assertThat(failed.state()).isEqualTo(JobState.DISCARDED);
                    assertThat(failed.error()).isEqualTo("node dead-node lost (lease expired)");
                });
        release.countDown();
    }

    @Test
    void timeoutsUnknownJobsAndBadArgumentsAreToldApart() throws Exception {
        long id = client.enqueue(new Render("slow")).id();

        assertThatThrownBy(() -> client.awaitResult(id, Duration.ofMillis(50))).isInstanceOf(TimeoutException.class)
                .hasMessage("job " + id + " did not finish within PT0.05S");
        assertThatThrownBy(() -> client.awaitResult(id + 1000, LONG_WAIT))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("id: no job " + (id + 1000));
        assertThatThrownBy(() -> client.awaitResult(id, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout: must be positive, was PT0S");
        assertThatThrownBy(() -> Scheduler.builder(db.dataSource()).resultPollInterval(Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("resultPollInterval: ");
        release.countDown();
    }

    @Test
    void aSchemaWhoseResultChannelWouldBeTooLongStillWakesItsWaiters() throws Exception {
        String schema = "results_" + "x".repeat(42); // "pgjobs_results_" and 50 characters: over PostgreSQL's 63
        Scheduler longNamed = schedulers.start(Scheduler.builder(db.dataSource()).schema(schema)
                .queue("default", 1).resultPollInterval(NEVER_POLLS).handler(Render.class, ctx -> {
                    release.await(60, TimeUnit.SECONDS);
                    return "long";
                }));
        long id = longNamed.client().enqueue(new Render("x")).id();
        CompletableFuture<String> result = longNamed.client().awaitResultAsync(id, LONG_WAIT);

        release.countDown();

        assertThat(result.get(2, TimeUnit.MINUTES)).isEqualTo("\"long\"");
    }

    @Test
    void closingTheSchedulerEndsItsWaits() throws Exception {
        Scheduler waiter = schedulers.build(Scheduler.builder(db.dataSource()).resultPollInterval(NEVER_POLLS));
        long id = client.enqueue(new Render("slow")).id();
        CompletableFuture<String> result = waiter.client().awaitResultAsync(id, LONG_WAIT);

        waiter.close();

        assertThatThrownBy(() -> result.get(2, TimeUnit.MINUTES)).cause().isInstanceOf(PgJobsException.class)
                .hasMessage("stopped waiting for job " + id + ": the scheduler was closed");
        assertThatThrownBy(() -> waiter.client().awaitResult(id, LONG_WAIT)).isInstanceOf(IllegalStateException.class);
        release.countDown();
    }
}
