package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class MetricsTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("metrics.work")
    record Work(String mode) {}

    /** No node here handles this kind, so its jobs stay in the queue. */
    @JobKind("metrics.unhandled")
    record Unhandled(int n) {}

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CountDownLatch release = new CountDownLatch(1);
    private Scheduler scheduler;

    @AfterEach
    void releaseBlockedHandlers() {
        release.countDown();
    }

    private Scheduler.Builder builder() {
        return Scheduler.builder(db.dataSource()).meterRegistry(registry)
                .queue("default", 3).queue("other", 2).pollInterval(Duration.ofMillis(50))
                .queueStatsInterval(Duration.ofMillis(100))
                .retryPolicy(attempt -> Duration.ZERO)
                .handler(Work.class, ctx -> switch (ctx.args().mode()) {
                    case "fail-once" -> {
                        if (ctx.attempt() == 1) {
                            throw new IllegalStateException("first attempt fails");
                        }
                        yield null;
                    }
                    case "always-fail" -> throw new IllegalStateException("always fails");
                    case "block" -> {
                        release.await();
                        yield null;
                    }
                    default -> null;
                });
    }

    private double count(String name) {
        return registry.counter(name, "queue", "default", "kind", "metrics.work").count();
    }

    private double gauge(String name, String queue) {
        Gauge gauge = registry.find(name).tag("queue", queue).gauge();
        return gauge == null ? -1 : gauge.value();
    }

    @Test
    void countsJobsByQueueAndKindAndTimesTheirAttempts() throws Exception {
        scheduler = schedulers.start(builder());
        scheduler.client().enqueue(new Work("ok"));
        scheduler.client().enqueue(new Work("fail-once"));
        scheduler.client().enqueue(JobRequest.of(new Work("always-fail")).maxAttempts(2));
        scheduler.client().enqueue(JobRequest.of(new Work("always-fail")).maxAttempts(1).idempotencyKey("same"));
        scheduler.client().enqueue(JobRequest.of(new Work("always-fail")).maxAttempts(1).idempotencyKey("same"));
        scheduler.client().enqueue(JobRequest.of(new Work("ok")).queue("other"));

        Await.until(Duration.ofSeconds(20), "the jobs' outcomes counted", () -> count("pgjobs.jobs.completed") == 2
                && count("pgjobs.jobs.discarded") == 2
                && registry.counter("pgjobs.jobs.completed", "queue", "other", "kind", "metrics.work").count() == 1);

        assertThat(count("pgjobs.jobs.enqueued")).isEqualTo(4); // the duplicate key is not a new job
        assertThat(registry.counter("pgjobs.jobs.enqueued", "queue", "other", "kind", "metrics.work").count()).isEqualTo(1);
        assertThat(count("pgjobs.jobs.failed")).isEqualTo(4);
        assertThat(count("pgjobs.jobs.retried")).isEqualTo(2);
        assertThat(count("pgjobs.jobs.cancelled")).isZero();
        Timer succeeded = registry.find("pgjobs.jobs.duration")
                .tags("queue", "default", "kind", "metrics.work", "outcome", "completed").timer();
        assertThat(succeeded).isNotNull();
        assertThat(succeeded.count()).isEqualTo(2);
        assertThat(registry.find("pgjobs.jobs.duration").tags("queue", "default", "outcome", "failed").timer().count())
                .isEqualTo(4);
        Timer wait = registry.find("pgjobs.jobs.queue.wait").tags("queue", "default", "kind", "metrics.work").timer();
        assertThat(wait.count()).isEqualTo(6);
    }

    @Test
    void measuresQueueWaitWithTheDatabasesClock() throws Exception {
        scheduler = schedulers.build(builder());
        long id = scheduler.client().enqueue(new Work("ok")).id();
        db.execute("update pgjobs.jobs set run_at = now() - interval '5 minutes' where id = " + id);
        scheduler.start();

        Await.until(Duration.ofSeconds(20), "the job completed", () -> count("pgjobs.jobs.completed") == 1);
        Timer wait = registry.find("pgjobs.jobs.queue.wait").tags("queue", "default", "kind", "metrics.work").timer();
        assertThat(wait.count()).isEqualTo(1);
        assertThat(wait.max(TimeUnit.SECONDS)).isBetween(300.0, 360.0);
    }

    @Test
    void gaugesTheBacklogAndTheSlotsOfEachQueue() throws Exception {
        scheduler = schedulers.build(builder());
        for (int i = 0; i < 3; i++) {
            scheduler.client().enqueue(new Unhandled(i));
        }
        scheduler.client().enqueue(JobRequest.of(new Unhandled(9)).delay(Duration.ofHours(1))); // not due: not counted
        db.execute("update pgjobs.jobs set run_at = now() - interval '10 minutes' where run_at <= now()");
        scheduler.start();
        scheduler.client().enqueue(new Work("block"));

        Await.until(Duration.ofSeconds(20), "the backlog gauged",
                () -> gauge("pgjobs.queue.depth", "default") == 3 && gauge("pgjobs.queue.lag", "default") >= 600);
        assertThat(gauge("pgjobs.queue.lag", "default")).isLessThan(700);
        assertThat(gauge("pgjobs.queue.depth", "other")).isZero();
        assertThat(gauge("pgjobs.queue.lag", "other")).isZero();
        System.gc(); // the gauges must not lose their state to the collector (Micrometer holds it weakly by default)
        Await.until(Duration.ofSeconds(20), "the blocking job running", () -> gauge("pgjobs.jobs.running", "default") == 1);
        assertThat(gauge("pgjobs.slots.free", "default")).isEqualTo(2);
        assertThat(gauge("pgjobs.slots.free", "other")).isEqualTo(2);
        // the only node leads; its LeaderChanged moves the gauge right after it takes the lock
        Await.until(Duration.ofSeconds(20), "the leader gauge up", () -> registry.find("pgjobs.leader").gauge().value() == 1);
        assertThat(scheduler.isLeader()).isTrue();

        release.countDown();
        Await.until(Duration.ofSeconds(20), "the slot freed", () -> gauge("pgjobs.slots.free", "default") == 3);
    }

    @Test
    void gaugesTheJobsAQueueClaimedAheadOfItsFreeSlots() throws Exception {
        scheduler = schedulers.build(builder());
        for (int i = 0; i < 4; i++) {
            scheduler.client().enqueue(JobRequest.of(new Work("block")).queue("other"));
        }
        scheduler.start();

        // the two slots of "other" run two jobs, and the claim took two more ahead of them; those wait at most
        // half a second for a slot before they go back (and are claimed ahead again ten seconds later)
        Await.until(Duration.ofSeconds(60), "two jobs running and two claimed ahead",
                () -> gauge("pgjobs.jobs.running", "other") == 2 && gauge("pgjobs.jobs.buffered", "other") == 2);
        assertThat(gauge("pgjobs.jobs.buffered", "default")).isZero();
        Await.until(Duration.ofSeconds(60), "the jobs claimed ahead put back",
                () -> gauge("pgjobs.jobs.buffered", "other") == 0);
        assertThat(gauge("pgjobs.jobs.running", "other")).isEqualTo(2);
    }

    private double shareChanges(String change) {
        return registry.get("pgjobs.limit.share.changes").tags("queue", "shared", "change", change).functionCounter()
                .count();
    }

    @Test
    void gaugesTheSlotsOfThisNodesShareOfAQueueLimitAndCountsItsChanges() throws Exception {
        scheduler = schedulers.start(builder().queue("shared", 3).queueLimit("shared", 2));
        for (int i = 0; i < 3; i++) {
            scheduler.client().enqueue(JobRequest.of(new Work("block")).queue("shared"));
        }

        // the node asks for its concurrency, at most the limit, while its claims find work
        // (the share is granted before its jobs start)
        Await.until(Duration.ofSeconds(60), "the share holds the whole limit and its jobs run",
                () -> gauge("pgjobs.limit.share.slots", "shared") == 2 && gauge("pgjobs.jobs.running", "shared") == 2);
        assertThat(shareChanges("grown")).as("renewals that grew the share").isGreaterThanOrEqualTo(1);

        // once the jobs are done and the claims find none, the node keeps only what executes: nothing
        release.countDown();
        Await.until(Duration.ofSeconds(60), "the share given back as the node went idle",
                () -> gauge("pgjobs.limit.share.slots", "shared") == 0 && shareChanges("shrunk") >= 1);
        assertThat(shareChanges("expired")).as("a share renewed in time never expires").isZero();
        assertThat(registry.find("pgjobs.limit.share.slots").tag("queue", "default").gauge())
                .as("a queue without a limit has no share").isNull();
    }

    @Test
    void gaugesWhileANodePollsABusyQueueOnItsOwnAndCountsItsTurnsBusy() throws Exception {
        scheduler = schedulers.start(builder().queue("busy", 50));
        assertThat(gauge("pgjobs.queue.busy", "busy")).isZero();
        double turnsBefore = registry.get("pgjobs.queue.busy.turns").tag("queue", "busy").functionCounter().count();
        assertThat(turnsBefore).isZero();

        // a producer keeps the queue fed until the node polls it on its own, however slow the machine is
        AtomicBoolean seen = new AtomicBoolean();
        Thread producer = Thread.ofPlatform().start(() -> {
            while (!seen.get()) {
                List<JobRequest> jobs = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    jobs.add(JobRequest.of(new Work("quick")).queue("busy"));
                }
                scheduler.client().enqueueAll(jobs);
            }
        });
        try {
            Await.until(Duration.ofSeconds(120), "the node polls the busy queue on its own",
                    () -> gauge("pgjobs.queue.busy", "busy") == 1);
        } finally {
            seen.set(true);
            producer.join();
        }
        assertThat(registry.get("pgjobs.queue.busy.turns").tag("queue", "busy").functionCounter().count())
                .as("times the node turned busy").isGreaterThanOrEqualTo(1);
        assertThat(gauge("pgjobs.queue.busy", "default")).as("a queue with no work").isZero();

        // once the backlog is drained, the promise ends and the grace after it
        Await.until(Duration.ofSeconds(120), "the node idle again", () -> gauge("pgjobs.queue.busy", "busy") == 0);
    }
}
