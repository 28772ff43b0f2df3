package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.SchedulerEvent.JobCancelled;
import io.pgjobs.SchedulerEvent.JobDiscarded;
import io.pgjobs.SchedulerEvent.JobEnqueued;
import io.pgjobs.SchedulerEvent.JobFailed;
import io.pgjobs.SchedulerEvent.JobRetried;
import io.pgjobs.SchedulerEvent.JobStarted;
import io.pgjobs.SchedulerEvent.JobSucceeded;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JobEventsTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("events.work")
    record Work(String mode) {}

    private final List<SchedulerEvent> events = new CopyOnWriteArrayList<>();
    private Scheduler scheduler;

    private Scheduler.Builder builder() {
        return Scheduler.builder(db.dataSource()).queue("default", 4).pollInterval(Duration.ofMillis(50))
                .retryPolicy(attempt -> Duration.ZERO)
                .handler(Work.class, ctx -> switch (ctx.args().mode()) {
                    case "fail-once" -> {
                        if (ctx.attempt() == 1) {
                            throw new IllegalStateException("first attempt fails");
                        }
                        yield "ok";
                    }
                    case "always-fail" -> throw new IllegalStateException("always fails");
                    case "wait-for-cancel" -> {
                        new CountDownLatch(1).await(); // until the cancel request interrupts it
                        yield "not cancelled";
                    }
                    default -> "ok";
                });
    }

    private <E extends SchedulerEvent> List<E> eventsOf(Class<E> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void reportsEveryStepOfAJobsLifeInOrder() throws Exception {
        scheduler = schedulers.start(builder().listener(events::add));
        long ok = scheduler.client().enqueue(new Work("ok")).id();
        long flaky = scheduler.client().enqueue(new Work("fail-once")).id();
        long doomed = scheduler.client().enqueue(JobRequest.of(new Work("always-fail")).maxAttempts(2)).id();

        Await.until(Duration.ofSeconds(20), "all three jobs reported finished",
                () -> eventsOf(JobSucceeded.class).size() == 2 && eventsOf(JobDiscarded.class).size() == 1);

        assertThat(eventsOf(JobEnqueued.class)).extracting(JobEnqueued::jobId).containsExactly(ok, flaky, doomed);
        assertThat(eventsOf(JobStarted.class)).hasSize(5)
                .allSatisfy(e -> assertThat(e.nodeId()).isEqualTo(scheduler.nodeId()));
        assertThat(eventsOf(JobSucceeded.class)).extracting(JobSucceeded::jobId, JobSucceeded::attempt)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(ok, 1), org.assertj.core.groups.Tuple.tuple(flaky, 2));
        assertThat(eventsOf(JobFailed.class)).extracting(JobFailed::jobId).containsExactlyInAnyOrder(flaky, doomed, doomed);
        assertThat(eventsOf(JobFailed.class)).allSatisfy(e ->
                assertThat(e.errorClass()).isEqualTo(IllegalStateException.class.getName()));
        assertThat(eventsOf(JobRetried.class)).extracting(JobRetried::jobId).containsExactlyInAnyOrder(flaky, doomed);
        assertThat(eventsOf(JobDiscarded.class)).singleElement().satisfies(e -> {
            assertThat(e.jobId()).isEqualTo(doomed);
            assertThat(e.attempt()).isEqualTo(2);
            assertThat(e.message()).isEqualTo("always fails");
        });
        // a job is reported enqueued once, and the first of its other events is its first start (the enqueuing
        // thread reports after its commit, and by then a worker may have claimed the job, even finished it);
        // each attempt starts before it ends, and a failure is directly followed by what became of its job
        for (long id : List.of(ok, flaky, doomed)) {
            List<SchedulerEvent> ofJob = events.stream().filter(e -> jobId(e) == id).toList();
            assertThat(ofJob).filteredOn(JobEnqueued.class::isInstance).hasSize(1);
            assertThat(ofJob).filteredOn(e -> !(e instanceof JobEnqueued)).first().isInstanceOf(JobStarted.class);
        }
        for (JobFailed failed : eventsOf(JobFailed.class)) {
            assertThat(events.indexOf(startOf(failed.jobId(), failed.attempt()))).isLessThan(events.indexOf(failed));
            SchedulerEvent next = events.get(events.indexOf(failed) + 1);
            assertThat(next).isInstanceOfAny(JobRetried.class, JobDiscarded.class);
            assertThat(jobId(next)).isEqualTo(failed.jobId());
        }
    }

    @Test
    void reportsACancelledRunningJobAndNoEnqueueForADuplicateKey() throws Exception {
        scheduler = schedulers.start(builder().listener(events::add));
        long id = scheduler.client().enqueue(JobRequest.of(new Work("wait-for-cancel")).idempotencyKey("k")).id();
        assertThat(scheduler.client().enqueue(JobRequest.of(new Work("wait-for-cancel")).idempotencyKey("k")).duplicate()).isTrue();
        Await.until(Duration.ofSeconds(20), "the job started", () -> !eventsOf(JobStarted.class).isEmpty());
        assertThat(scheduler.client().cancel(id)).isTrue();

        Await.until(Duration.ofSeconds(20), "the cancellation reported", () -> !eventsOf(JobCancelled.class).isEmpty());
        assertThat(eventsOf(JobCancelled.class)).singleElement().satisfies(e -> assertThat(e.jobId()).isEqualTo(id));
        assertThat(eventsOf(JobEnqueued.class)).hasSize(1);
        assertThat(eventsOf(JobFailed.class)).isEmpty();
    }

    @Test
    void reportsAJobCancelledBeforeItStartedAndCountsIt() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        scheduler = schedulers.start(builder().listener(events::add).meterRegistry(registry));
        long id = scheduler.client().enqueue(JobRequest.of(new Work("ok")).delay(Duration.ofHours(1))).id();
        assertThat(scheduler.client().cancel(id)).isTrue();

        Await.until(Duration.ofSeconds(20), "the cancellation reported", () -> !eventsOf(JobCancelled.class).isEmpty());
        assertThat(eventsOf(JobCancelled.class)).singleElement().satisfies(e -> {
            assertThat(e.jobId()).isEqualTo(id);
            assertThat(e.queue()).isEqualTo("default");
            assertThat(e.attempt()).isZero();
        });
        assertThat(registry.get("pgjobs.jobs.cancelled").tag("queue", "default").counter().count()).isEqualTo(1.0);
        assertThat(scheduler.client().cancel(id)).as("cancelling again does nothing").isFalse();
        assertThat(eventsOf(JobStarted.class)).isEmpty();
    }

    @Test
    void aScheduleTriggeredByHandIsReportedAndCountedAsEnqueued() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        scheduler = schedulers.start(builder().listener(events::add).meterRegistry(registry));
        scheduler.client().schedules().upsert(Schedule.of("by-hand", "@yearly", JobRequest.of(new Work("ok"))));

        long id = scheduler.client().schedules().triggerNow("by-hand").orElseThrow();

        Await.until(Duration.ofSeconds(20), "the triggered job reported", () -> !eventsOf(JobEnqueued.class).isEmpty());
        assertThat(eventsOf(JobEnqueued.class)).singleElement()
                .isEqualTo(new JobEnqueued(id, "events.work", "default"));
        assertThat(registry.get("pgjobs.jobs.enqueued").tag("queue", "default").tag("kind", "events.work")
                .counter().count()).isEqualTo(1.0);
        assertThat(scheduler.client().schedules().triggerNow("no-such-schedule")).isEmpty();
    }

    @Test
    void aBlockedListenerNeverStallsTheWorkersAndItsDroppedEventsAreCounted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger delivered = new AtomicInteger();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        scheduler = schedulers.start(builder().eventQueueCapacity(5).meterRegistry(registry)
                .listener(event -> {
                    delivered.incrementAndGet();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
        List<JobRequest> requests = java.util.stream.IntStream.range(0, 50).mapToObj(i -> JobRequest.of(new Work("ok"))).toList();
        scheduler.client().enqueueAll(requests);

        // every job completes although the listener has been stuck on its first event all along
        Await.until(Duration.ofSeconds(30), "50 jobs completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 50);
        assertThat(delivered.get()).isEqualTo(1);
        Await.until(Duration.ofSeconds(10), "the completions reported",
                () -> registry.counter("pgjobs.jobs.completed", "queue", "default", "kind", "events.work").count() == 50);
        // the 50 enqueue events went as one delivery to the stuck listener; of the 50 start and 50 success events
        // at most five fit in the queue
        assertThat(registry.counter("pgjobs.events.dropped").count()).isGreaterThanOrEqualTo(100 - 5);
        release.countDown();
    }

    @Test
    void aThrowingListenerDoesNotKeepEventsFromTheOthers() throws Exception {
        AtomicInteger thrown = new AtomicInteger();
        scheduler = schedulers.start(builder()
                .listener(event -> {
                    thrown.incrementAndGet();
                    throw new IllegalStateException("listener bug");
                })
                .listener(events::add));
        for (int i = 0; i < 5; i++) {
            scheduler.client().enqueue(new Work("ok"));
        }

        Await.until(Duration.ofSeconds(20), "five successes reported", () -> eventsOf(JobSucceeded.class).size() == 5);
        assertThat(eventsOf(JobEnqueued.class)).hasSize(5);
        assertThat(eventsOf(JobStarted.class)).hasSize(5);
        assertThat(thrown.get()).isGreaterThanOrEqualTo(15);
    }

    @Test
    void rejectsABadEventQueueCapacityWhenSet() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> Scheduler.builder(db.dataSource()).eventQueueCapacity(0))
                .withMessageContaining("eventQueueCapacity");
    }

    private JobStarted startOf(long jobId, int attempt) {
        return eventsOf(JobStarted.class).stream().filter(e -> e.jobId() == jobId && e.attempt() == attempt)
                .findFirst().orElseThrow();
    }

    private static long jobId(SchedulerEvent event) {
        return switch (event) {
            case JobEnqueued e -> e.jobId();
            case JobStarted e -> e.jobId();
            case JobSucceeded e -> e.jobId();
            case JobFailed e -> e.jobId();
            case JobRetried e -> e.jobId();
            case JobDiscarded e -> e.jobId();
            case JobCancelled e -> e.jobId();
            default -> -1;
        };
    }
}
