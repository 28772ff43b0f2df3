package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.internal.store.MaintenanceStore;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Batches against the database, their jobs run by three schedulers at once so that completions of one batch
 * race: the counts are exact and each callback runs exactly once.
 */
class BatchTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    private static final Duration LONG_WAIT = Duration.ofMinutes(5);

    /** A job of a batch: fails for good when {@code discard}, fails once and then completes when {@code flaky}. */
    @JobKind("test.part")
    record Part(int n, boolean discard, boolean flaky) {}

    /** A callback: what it is for. */
    @JobKind("test.callback")
    record Callback(String on) {}

    /** The callbacks run, with the batch id from their metadata. */
    private final List<String> callbacks = Collections.synchronizedList(new ArrayList<>());
    private final Set<Integer> failedOnce = ConcurrentHashMap.newKeySet();
    private JobClient client;

    @BeforeEach
    void setUp() {
        for (int node = 0; node < 3; node++) {
            Scheduler scheduler = schedulers.start(Scheduler.builder(db.dataSource()).queue("default", 8)
                    .handler(Part.class, ctx -> {
                        Part part = ctx.args();
                        if (part.discard()) {
                            throw new NonRetryableException("part " + part.n() + " is broken");
                        }
                        if (part.flaky() && failedOnce.add(part.n())) {
                            throw new IllegalStateException("part " + part.n() + " fails once");
                        }
                        return null;
                    })
                    .handler(Callback.class, ctx -> {
                        callbacks.add(ctx.args().on() + "@" + ctx.metadata().get("pgjobs.batch_id"));
                        return null;
                    }));
            client = scheduler.client();
        }
    }

    private static Batch.Builder withCallbacks(String name) {
        return Batch.builder(name)
                .onSuccess(JobRequest.of(new Callback("success")))
                .onDiscard(JobRequest.of(new Callback("discard")))
                .onComplete(JobRequest.of(new Callback("complete")));
    }

    private static List<JobRequest> parts(int from, int to, Set<Integer> discard, Set<Integer> flaky) {
        return IntStream.range(from, to).mapToObj(n -> JobRequest.of(new Part(n, discard.contains(n),
                flaky.contains(n))).maxAttempts(3)).toList();
    }

    private BatchStatus awaitCallbacks(long batch, int expected) throws Exception {
        Await.until(LONG_WAIT, expected + " callbacks of batch " + batch, () -> callbacks.size() >= expected
                && db.queryLong("select count(*) from pgjobs.jobs where kind = 'test.callback' and state <> 'completed'")
                == 0);
        return client.batches().get(batch).orElseThrow();
    }

    @Test
    void aBatchAddedOverTimeFiresItsSuccessAndCompleteCallbacksOnceWithRacingCompletions() throws Exception {
        long batch = client.batches().create(withCallbacks("import").build());
        Set<Integer> flaky = Set.of(3, 50, 120, 250);
        client.batches().add(batch, parts(0, 150, Set.of(), flaky));
        client.batches().add(batch, parts(150, 300, Set.of(), flaky));
        client.batches().seal(batch);

        BatchStatus done = awaitCallbacks(batch, 2);

        assertThat(callbacks).containsExactlyInAnyOrder("success@" + batch, "complete@" + batch);
        assertThat(done.total()).isEqualTo(300);
        assertThat(done.completed()).isEqualTo(300);
        assertThat(done.discarded()).isZero();
        assertThat(done.isFinished()).isTrue();
        assertThat(done.discardJobId()).isNull();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where kind = 'test.callback'")).isEqualTo(2);
    }

    @Test
    void discardsFireTheDiscardCallbackOnceAndNeverTheSuccessOne() throws Exception {
        long batch = client.batches().create(withCallbacks("partly broken").build());
        client.batches().add(batch, parts(0, 200, Set.of(7, 70, 170), Set.of(8, 80)));
        client.batches().seal(batch);

        BatchStatus done = awaitCallbacks(batch, 2);

        assertThat(callbacks).containsExactlyInAnyOrder("discard@" + batch, "complete@" + batch);
        assertThat(done.completed()).isEqualTo(197);
        assertThat(done.discarded()).isEqualTo(3);
        assertThat(done.successJobId()).isNull();

        // an operator's retry of a discarded job moves the counts back, and its end forward; no callback twice
        failedOnce.clear();
        long discarded = db.queryLong("select min(id) from pgjobs.jobs where batch_id = " + batch
                + " and state = 'discarded'");
        assertThat(client.retry(discarded)).isTrue();
        Await.until(LONG_WAIT, "the retried job finished again",
                () -> client.get(discarded).orElseThrow().state().isFinished());
        assertThat(client.batches().get(batch).orElseThrow().discarded()).isEqualTo(3);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where kind = 'test.callback'")).isEqualTo(2);
    }

    @Test
    void sealingABatchWhoseJobsHaveFinishedFiresItsCallbacksThen() throws Exception {
        long batch = client.batches().create(withCallbacks("sealed late").build());
        client.batches().add(batch, parts(0, 20, Set.of(), Set.of()));
        Await.until(LONG_WAIT, "every job of the batch completed",
                () -> client.batches().get(batch).orElseThrow().completed() == 20);
        assertThat(client.batches().get(batch).orElseThrow().completeJobId()).as("not sealed yet").isNull();

        client.batches().seal(batch);
        client.batches().seal(batch);

        awaitCallbacks(batch, 2);
        assertThat(callbacks).containsExactlyInAnyOrder("success@" + batch, "complete@" + batch);
    }

    @Test
    void retentionDeletesASealedBatchWithItsLastJob() throws Exception {
        long batch = client.batches().create(Batch.builder("old").build());
        client.batches().add(batch, parts(0, 3, Set.of(), Set.of()));
        client.batches().seal(batch);
        Await.until(LONG_WAIT, "the batch finished", () -> client.batches().get(batch).orElseThrow().isFinished());
        db.execute("update pgjobs.jobs set finished_at = finished_at - interval '2 days'");
        MaintenanceStore maintenance = new MaintenanceStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
                "pgjobs_results_pgjobs");

        maintenance.deleteFinishedJobs(List.of("completed"), Duration.ofDays(1), 2, Duration.ofMinutes(1));
        assertThat(client.batches().get(batch)).as("one job left").isPresent();
        maintenance.deleteFinishedJobs(List.of("completed"), Duration.ofDays(1), 2, Duration.ofMinutes(1));

        assertThat(client.batches().get(batch)).isEmpty();
    }

    @Test
    void aSealedOrMissingBatchTakesNoJobs() throws Exception {
        long batch = client.batches().create(Batch.builder("closed").build());
        client.batches().seal(batch);

        assertThatThrownBy(() -> client.batches().add(batch, parts(0, 1, Set.of(), Set.of())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("is sealed");
        assertThatThrownBy(() -> client.batches().add(424242, parts(0, 1, Set.of(), Set.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no batch 424242");
        assertThatThrownBy(() -> client.batches().seal(424242))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no batch 424242");
        assertThatThrownBy(() -> Batch.builder("x").onSuccess(JobRequest.of(new Callback("s"))
                .delay(Duration.ofMinutes(1)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("onSuccess:");
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isZero();
        assertThat(client.batches().get(batch)).hasValueSatisfying(b -> assertThat(b.total()).isZero());
    }
}
