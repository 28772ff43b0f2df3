package io.pgjobs.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.NonRetryableException;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PgJobsTestKitTest {
    @JobKind("test.greet")
    record Greet(String name) {}

    /** Greets, then enqueues a greeting for each name in its tail: jobs that enqueue jobs. */
    @JobKind("test.chain")
    record Chain(List<String> names) {}

    @JobKind("test.fail")
    record Fail(String why) {}

    @JobKind("test.nobody")
    record Nobody() {}

    static final Queue<String> GREETED = new ConcurrentLinkedQueue<>();
    static final AtomicReference<Thread> GREETED_ON = new AtomicReference<>();

    @RegisterExtension
    static final PgJobsExtension pgjobs = PgJobsExtension.embedded()
            .scheduler(builder -> builder.queue("default", 2)
                    .handler(Greet.class, ctx -> {
                        GREETED_ON.set(Thread.currentThread());
                        return GREETED.add(ctx.args().name());
                    })
                    .handler(Chain.class, ctx -> {
                        List<String> names = ctx.args().names();
                        GREETED.add(names.getFirst());
                        if (names.size() > 1) {
                            PgJobsTestKitTest.pgjobs.kit().client().enqueue(new Chain(names.subList(1, names.size())));
                        }
                        return null;
                    })
                    .handler(Fail.class, ctx -> {
                        throw new NonRetryableException(ctx.args().why());
                    }));

    @BeforeEach
    void forget() {
        GREETED.clear();
    }

    @Test
    void jobsWaitUntilADrainRunsThem(PgJobsTestKit kit) {
        kit.client().enqueue(new Greet("ada"));
        kit.client().enqueue(JobRequest.of(new Greet("grace")).queue("default").priority(1));

        Job grace = kit.assertEnqueued(Greet.class, args -> args.name().equals("grace"));
        assertThat(grace.priority()).isEqualTo(1);
        kit.assertCount(JobState.AVAILABLE, 2);
        assertThat(GREETED).isEmpty();

        kit.drain();

        assertThat(GREETED).containsExactlyInAnyOrder("ada", "grace");
        kit.assertCount(JobState.COMPLETED, 2);
        kit.assertNoFailedJobs();
    }

    @Test
    void aDrainRunsTheJobsThatJobsEnqueue(PgJobsTestKit kit) {
        kit.client().enqueue(new Chain(List.of("one", "two", "three")));

        kit.drain();

        assertThat(GREETED).containsExactly("one", "two", "three");
        kit.assertCount(JobState.COMPLETED, 3);
    }

    @Test
    void jobsEnqueuedAfterADrainWaitForTheNext(PgJobsTestKit kit) {
        kit.client().enqueue(new Greet("first"));
        kit.drain();
        kit.client().enqueue(new Greet("second"));

        kit.assertEnqueued(Greet.class, args -> args.name().equals("second"));
        assertThat(GREETED).containsExactly("first");
        kit.drain();
        assertThat(GREETED).containsExactly("first", "second");
    }

    @Test
    void advancingTimeMakesDelayedJobsDue(PgJobsTestKit kit) {
        kit.client().enqueue(JobRequest.of(new Greet("later")).delay(Duration.ofHours(1)));
        Job waiting = kit.assertEnqueued(Greet.class, args -> args.name().equals("later"));
        assertThat(Duration.between(kit.now(), waiting.runAt())).isPositive().isLessThanOrEqualTo(Duration.ofHours(1));

        kit.drain();
        assertThat(GREETED).isEmpty();

        assertThat(kit.advanceTime(Duration.ofMinutes(50))).isEqualTo(1);
        kit.drain();
        assertThat(GREETED).as("ten minutes are left").isEmpty();

        kit.advanceTime(Duration.ofMinutes(10));
        kit.drain();
        assertThat(GREETED).containsExactly("later");
    }

    @Test
    void runJobRunsThatOneJobInTheTestsThreadWithoutADrain(PgJobsTestKit kit) {
        long ada = kit.client().enqueue(new Greet("ada")).id();
        kit.client().enqueue(new Greet("grace"));

        JobAttempt attempt = kit.runJob(kit.assertEnqueued(Greet.class, args -> args.name().equals("ada")).id());

        assertThat(attempt.jobId()).isEqualTo(ada);
        assertThat(attempt.outcome()).isEqualTo(Outcome.COMPLETED);
        assertThat(GREETED).containsExactly("ada");
        assertThat(GREETED_ON.get()).isSameAs(Thread.currentThread());
        assertThat(kit.client().get(ada).orElseThrow().state()).isEqualTo(JobState.COMPLETED);
        kit.assertEnqueued(Greet.class, args -> args.name().equals("grace"));
    }

    @Test
    void runJobWritesAFailureAsAWorkerWouldAndRefusesWhatCannotRun(PgJobsTestKit kit) {
        long id = kit.client().enqueue(new Fail("the mail server said no")).id();

        JobAttempt attempt = kit.runJob(id);

        assertThat(attempt.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(attempt.message()).isEqualTo("the mail server said no");
        kit.assertCount(JobState.DISCARDED, 1);
        assertThatThrownBy(() -> kit.runJob(id)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("job " + id + " is discarded");
        assertThatThrownBy(() -> kit.runJob(id + 1_000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jobId: there is no job " + (id + 1_000));
    }

    @Test
    void failedJobsAreReportedWithTheirErrors(PgJobsTestKit kit) {
        kit.client().enqueue(new Fail("the mail server said no"));
        kit.drain();

        kit.assertCount(JobState.DISCARDED, 1);
        assertThatThrownBy(kit::assertNoFailedJobs).isInstanceOf(AssertionError.class)
                .hasMessageContaining("test.fail").hasMessageContaining("the mail server said no");
    }

    @Test
    void assertEnqueuedNamesWhatItFoundWhenNoneOrSeveralMatch(PgJobsTestKit kit) {
        kit.client().enqueue(new Greet("ada"));
        kit.client().enqueue(new Greet("ada"));

        assertThatThrownBy(() -> kit.assertEnqueued(Greet.class, args -> args.name().equals("bob")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("found 0").hasMessageContaining("\"ada\"");
        assertThatThrownBy(() -> kit.assertEnqueued(Greet.class, args -> args.name().equals("ada")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("found 2");
        assertThatThrownBy(() -> kit.assertNotEnqueued(Greet.class, args -> args.name().equals("ada")))
                .isInstanceOf(AssertionError.class);
        kit.assertNotEnqueued(Greet.class, args -> args.name().equals("bob"));
    }

    @Test
    void aDrainFailsAtOnceOnAJobNoHandlerRuns(PgJobsTestKit kit) {
        kit.client().enqueue(new Nobody());

        assertThatThrownBy(kit::drain).isInstanceOf(AssertionError.class)
                .hasMessageContaining("no handler for the kinds [test.nobody]");
    }

    @Test
    void eachTestStartsWithoutJobs(PgJobsTestKit kit) {
        assertThat(kit.jobs()).isEmpty();
        kit.client().enqueue(new Greet("left behind"));
    }

    @Test
    void eachTestStartsWithoutJobsEvenAfterOneLeftSome(PgJobsTestKit kit) {
        assertThat(kit.jobs()).isEmpty();
        kit.client().enqueue(new Greet("left behind"));
    }

    @Test
    void badArgumentsAreRefusedNamingThem(PgJobsTestKit kit) {
        assertThatThrownBy(() -> kit.advanceTime(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("by:");
        assertThatThrownBy(() -> kit.advanceTime(Duration.ofDays(366_000 + 1000)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("by:");
        assertThatThrownBy(() -> kit.drain(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("deadline:");
    }
}
