package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.MDC;

/**
 * {@link Scheduler#runJob}: one given job run in the caller's thread through the claim and the completion of
 * every job, on a scheduler that was never started, and the errors for a job it cannot run.
 */
class RunJobTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("run.greet")
    record Greet(String name) {}

    @JobKind("run.fail")
    record Fail() {}

    @JobKind("run.wait")
    record Wait() {}

    @JobKind("run.unhandled")
    record Unhandled() {}

    /** Released by a test to let a waiting handler return. */
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch waiting = new CountDownLatch(1);
    private final AtomicReference<Thread> ranOn = new AtomicReference<>();

    private Scheduler scheduler(Duration lease) {
        // never started: its queue is not worked, and only runJob runs a job
        return schedulers.build(Scheduler.builder(db.dataSource()).queue("default", 1).nodeId("inline-node")
                .leaseDuration(lease)
                .retryPolicy(failedAttempt -> Duration.ofMinutes(1))
                .handler(Greet.class, ctx -> {
                    ranOn.set(Thread.currentThread());
                    return "hello " + ctx.args().name();
                })
                .handler(Fail.class, ctx -> {
                    throw new IllegalStateException("the mail server refused");
                })
                .handler(Wait.class, ctx -> {
                    waiting.countDown();
                    release.await(); // a cancel request interrupts it
                    return null;
                }));
    }

    private Scheduler scheduler() {
        return scheduler(Duration.ofSeconds(30));
    }

    @Test
    void runsTheJobInTheCallersThreadAndWritesItsAttempt() {
        Scheduler scheduler = scheduler();
        long id = scheduler.client().enqueue(new Greet("ada")).id();
        MDC.put("test", "kept");

        JobAttempt attempt = scheduler.runJob(id);

        assertThat(ranOn.get()).isSameAs(Thread.currentThread());
        assertThat(MDC.get("test")).as("the caller's MDC is put back").isEqualTo("kept");
        MDC.clear();
        assertThat(attempt.jobId()).isEqualTo(id);
        assertThat(attempt.attempt()).isEqualTo(1);
        assertThat(attempt.nodeId()).isEqualTo("inline-node");
        assertThat(attempt.outcome()).isEqualTo(Outcome.COMPLETED);
        Job job = scheduler.client().get(id).orElseThrow();
        assertThat(job.state()).isEqualTo(JobState.COMPLETED);
        assertThat(job.result()).isEqualTo("\"hello ada\"");
        assertThat(scheduler.client().attempts(id)).containsExactly(attempt);
    }

    @Test
    void aFailureIsRetriedLaterThenDiscardedAsByAWorker() {
        Scheduler scheduler = scheduler();
        long id = scheduler.client().enqueue(JobRequest.of(new Fail()).maxAttempts(2)).id();

        JobAttempt first = scheduler.runJob(id);

        assertThat(first.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(first.message()).isEqualTo("the mail server refused");
        Job retryable = scheduler.client().get(id).orElseThrow();
        assertThat(retryable.state()).isEqualTo(JobState.RETRYABLE);
        assertThat(retryable.runAt()).as("the retry waits for its backoff").isAfter(first.finishedAt().plusSeconds(30));

        // a job waiting for its retry runs when asked to, as its second and last attempt
        JobAttempt second = scheduler.runJob(id);

        assertThat(second.attempt()).isEqualTo(2);
        assertThat(second.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(scheduler.client().get(id).orElseThrow().state()).isEqualTo(JobState.DISCARDED);
    }

    @Test
    void aDelayedJobInAPausedQueueRunsWhenAsked() {
        Scheduler scheduler = scheduler();
        long id = scheduler.client().enqueue(JobRequest.of(new Greet("bob")).queue("held")
                .delay(Duration.ofDays(1))).id();
        scheduler.admin().pauseQueue("test", "held");

        assertThat(scheduler.runJob(id).outcome()).isEqualTo(Outcome.COMPLETED);
        assertThat(scheduler.client().get(id).orElseThrow().state()).isEqualTo(JobState.COMPLETED);
    }

    @Test
    void aJobThatIsRunningCannotBeRunAgainUntilItEnds() throws Exception {
        Scheduler scheduler = scheduler();
        long id = scheduler.client().enqueue(new Wait()).id();
        CompletableFuture<JobAttempt> running = runUntilItWaits(scheduler, id);

        assertThatThrownBy(() -> scheduler.runJob(id)).isInstanceOf(IllegalStateException.class)
                .hasMessage("job " + id + " is running on node inline-node (attempt 1), so it cannot run here as well");

        release.countDown();
        assertThat(running.get(30, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.COMPLETED);
        assertThatThrownBy(() -> scheduler.runJob(id)).isInstanceOf(IllegalStateException.class)
                .hasMessage("job " + id + " is completed: only a job waiting to run (available, scheduled or "
                        + "retryable) can be run");
    }

    @Test
    void aCancelRequestStopsTheHandlerAtTheNextLeaseRenewal() throws Exception {
        Scheduler scheduler = scheduler(Duration.ofMillis(600));
        long id = scheduler.client().enqueue(new Wait()).id();
        CompletableFuture<JobAttempt> running = runUntilItWaits(scheduler, id);

        assertThat(scheduler.client().cancel(id)).isTrue();

        JobAttempt attempt = running.get(30, TimeUnit.SECONDS);
        assertThat(attempt.outcome()).isEqualTo(Outcome.CANCELLED);
        assertThat(scheduler.client().get(id).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void aJobRunLongerThanItsLeaseKeepsItByRenewals() throws Exception {
        Scheduler scheduler = scheduler(Duration.ofMillis(600));
        long id = scheduler.client().enqueue(new Wait()).id();
        CompletableFuture<JobAttempt> running = runUntilItWaits(scheduler, id);
        Instant firstLease = scheduler.client().get(id).orElseThrow().leaseExpiresAt();

        Await.until(Duration.ofSeconds(30), "the lease is renewed",
                () -> scheduler.client().get(id).orElseThrow().leaseExpiresAt().isAfter(firstLease));

        release.countDown();
        assertThat(running.get(30, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.COMPLETED);
    }

    /** Runs job {@code id}, a {@link Wait}, in another thread, and returns once its handler waits. */
    private CompletableFuture<JobAttempt> runUntilItWaits(Scheduler scheduler, long id) throws InterruptedException {
        CompletableFuture<JobAttempt> running = CompletableFuture.supplyAsync(() -> scheduler.runJob(id));
        assertThat(waiting.await(30, TimeUnit.SECONDS)).as("the handler runs").isTrue();
        return running;
    }

    @Test
    void aMissingJobAJobWithoutHandlerAndAClosedSchedulerAreRefusedClearly() {
        Scheduler scheduler = scheduler();
        long unhandled = scheduler.client().enqueue(new Unhandled()).id();

        assertThatThrownBy(() -> scheduler.runJob(987_654_321L)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jobId: there is no job 987654321");
        assertThatThrownBy(() -> scheduler.runJob(unhandled)).isInstanceOf(IllegalStateException.class)
                .hasMessage("job " + unhandled + " is of kind 'run.unhandled', which this scheduler has no handler "
                        + "for (Scheduler.Builder.handler)");
        assertThat(scheduler.client().get(unhandled).orElseThrow().state()).as("left as it was")
                .isEqualTo(JobState.AVAILABLE);

        scheduler.close();
        assertThatThrownBy(() -> scheduler.runJob(unhandled)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aJobWaitingForItsWorkflowsParentsIsRefused() {
        Scheduler scheduler = scheduler();
        EnqueuedWorkflow workflow = scheduler.client().workflows().enqueue(Workflow.builder("greetings")
                .step("first", JobRequest.of(new Greet("first")))
                .step("second", JobRequest.of(new Greet("second")), "first").build());
        long second = workflow.jobIds().get("second");

        assertThatThrownBy(() -> scheduler.runJob(second)).isInstanceOf(IllegalStateException.class)
                .hasMessage("job " + second + " is pending: it waits for its workflow's parent steps to finish");

        scheduler.runJob(workflow.jobIds().get("first"));
        assertThat(scheduler.runJob(second).outcome()).as("released by its parent's completion")
                .isEqualTo(Outcome.COMPLETED);
    }
}
