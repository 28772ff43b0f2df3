package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class UniqueJobsTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("report.build")
    record BuildReport(int customerId, String month) {}

    private static final Uniqueness PER_CUSTOMER_WHILE_UNFINISHED =
            Uniqueness.byArgs("customerId").whileUnfinished();
    private static final int THREADS = 16;

    private JobClient client;

    @BeforeEach
    void setUp() {
        client = schedulers.build(Scheduler.builder(db.dataSource())).client();
    }

    private static JobRequest report(int customerId, String month) {
        return JobRequest.of(new BuildReport(customerId, month)).unique(PER_CUSTOMER_WHILE_UNFINISHED);
    }

    @Test
    void sixteenRacingThreadsMakeOneJobAndAllGetItsId() throws Exception {
        for (int customer = 0; customer < 10; customer++) {
            int id = customer;
            // half the threads enqueue in a transaction of their own that commits a moment later
            List<EnqueueResult> results = race(thread -> thread % 2 == 0
                    ? client.enqueue(report(id, "month " + thread))
                    : inTransaction(c -> client.enqueue(c, report(id, "month " + thread))));

            assertThat(results).extracting(EnqueueResult::id).containsOnly(results.getFirst().id());
            assertThat(results).filteredOn(r -> !r.duplicate()).hasSize(1);
        }
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isEqualTo(10);
    }

    @Test
    void racingBatchesWithRepeatedKeysMakeOneJobPerKey() throws Exception {
        int customers = 50;
        // 150 jobs a batch: without keys, a batch that big would go in by COPY
        List<List<EnqueueResult>> batches = race(thread -> {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 3 * customers; i++) {
                order.add(i % customers);
            }
            Collections.shuffle(order, new Random(thread));
            List<JobRequest> batch = order.stream().map(c -> report(c, "thread " + thread)).toList();
            List<EnqueueResult> results = client.enqueueAll(batch);
            for (int i = 0; i < batch.size(); i++) {
                BuildReport stored = client.args(client.get(results.get(i).id()).orElseThrow(), BuildReport.class);
                assertThat(stored.customerId()).as("the job returned for customer " + order.get(i))
                        .isEqualTo(order.get(i));
            }
            return results;
        });

        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isEqualTo(customers);
        assertThat(db.queryLong("select count(distinct args->'customerId') from pgjobs.jobs")).isEqualTo(customers);
        long inserted = batches.stream().flatMap(List::stream).filter(r -> !r.duplicate()).count();
        assertThat(inserted).isEqualTo(customers);
    }

    @Test
    void onlyTheChosenFieldsTheKindAndTheQueueCount() {
        long first = client.enqueue(report(1, "march")).id();

        assertThat(client.enqueue(report(1, "april"))).isEqualTo(new EnqueueResult(first, true));
        assertThat(client.enqueue(report(2, "march")).duplicate()).as("another customer").isFalse();
        assertThat(client.enqueue(report(1, "march").queue("other")).duplicate()).as("another queue").isFalse();
        assertThat(client.enqueue(JobRequest.of("report.other", new BuildReport(1, "march"))
                .unique(PER_CUSTOMER_WHILE_UNFINISHED)).duplicate()).as("another kind").isFalse();
        assertThat(client.enqueue(JobRequest.of(new BuildReport(1, "march"))).duplicate())
                .as("a job without uniqueness").isFalse();
        assertThat(client.enqueue(JobRequest.of(new BuildReport(1, "march")).unique(Uniqueness.byArgs()))
                .duplicate()).as("other rules make another key").isFalse();
    }

    @Test
    void allArgsCountWhateverTheOrderOfTheirKeys() throws Exception {
        Uniqueness byArgs = Uniqueness.byArgs();
        long first = client.enqueue(JobRequest.of("report.map", Map.of("a", 1, "b", Map.of("x", 1, "y", 2)))
                .unique(byArgs)).id();
        String reordered = "{\"b\": {\"y\": 2, \"x\": 1}, \"a\": 1}";

        assertThat(client.enqueue(JobRequest.of("report.map", new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(reordered)).unique(byArgs))).isEqualTo(new EnqueueResult(first, true));
        assertThat(client.enqueue(JobRequest.of("report.map", Map.of("a", 2, "b", Map.of("x", 1, "y", 2)))
                .unique(byArgs)).duplicate()).isFalse();
    }

    @Test
    void numbersCountByTheirValueNotTheDoubleNearestToThem() {
        Uniqueness byArgs = Uniqueness.byArgs();
        long tenth = client.enqueue(JobRequest.of("report.number", Map.of("x", 0.1)).unique(byArgs)).id();
        long oneAndAHalf = client.enqueue(JobRequest.of("report.number", Map.of("x", 1.5)).unique(byArgs)).id();

        // a decimal a double is exactly makes the key the double made
        assertThat(client.enqueue(JobRequest.of("report.number", Map.of("x", new BigDecimal("0.1"))).unique(byArgs)))
                .isEqualTo(new EnqueueResult(tenth, true));
        assertThat(client.enqueue(JobRequest.of("report.number", Map.of("x", new BigDecimal("1.50"))).unique(byArgs)))
                .isEqualTo(new EnqueueResult(oneAndAHalf, true));
        // one no double is was the key of the double nearest to it, and so a duplicate of another job
        for (String other : List.of("0.1000000000000000000001", "0.10000000000000000000010", "1e400")) {
            EnqueueResult result = client.enqueue(JobRequest.of("report.number", Map.of("x", new BigDecimal(other)))
                    .unique(byArgs));
            assertThat(result.duplicate()).as(other).isEqualTo(other.equals("0.10000000000000000000010"));
        }
    }

    @Test
    void aFinishedJobLetsTheKeyGoOnlyIfItsStateIsNotListed() throws Exception {
        long unfinishedOnly = client.enqueue(report(1, "march")).id();
        long withCompleted = client.enqueue(JobRequest.of(new BuildReport(1, "march")).unique(Uniqueness.byArgs())).id();
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now()");

        assertThat(client.enqueue(report(1, "march")).duplicate()).as("unique while unfinished").isFalse();
        assertThat(client.enqueue(JobRequest.of(new BuildReport(1, "march")).unique(Uniqueness.byArgs())))
                .as("unique while completed too (the default)").isEqualTo(new EnqueueResult(withCompleted, true));
        assertThat(unfinishedOnly).isNotEqualTo(withCompleted);
    }

    @Test
    void withAPeriodOnlyJobsOfTheSamePeriodCount() throws Exception {
        Uniqueness hourly = Uniqueness.byArgs().period(Duration.ofHours(1));
        long first = client.enqueue(JobRequest.of(new BuildReport(1, "march")).unique(hourly)).id();
        assertThat(client.enqueue(JobRequest.of(new BuildReport(1, "march")).unique(hourly)))
                .isEqualTo(new EnqueueResult(first, true));

        long hour = db.queryLong("select floor(extract(epoch from now()) / 3600)::bigint");
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where unique_key like '%@" + hour + "'"
                + " or unique_key like '%@" + (hour - 1) + "'")).as("the key names its hour").isEqualTo(1);
        // as if the first job had been enqueued an hour earlier
        db.execute("update pgjobs.jobs set unique_key = regexp_replace(unique_key, '@[0-9]+$', '@0')");

        assertThat(client.enqueue(JobRequest.of(new BuildReport(1, "march")).unique(hourly)).duplicate()).isFalse();
    }

    @Test
    void anOperatorsRetryCannotTakeAKeyAnotherJobHolds() throws Exception {
        long finished = client.enqueue(report(1, "march")).id();
        db.execute("update pgjobs.jobs set state = 'discarded', finished_at = now()");
        long holder = client.enqueue(report(1, "april")).id();

        assertThatThrownBy(() -> client.retry(finished)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("job " + finished + " cannot be retried: another job holds its unique key");
        assertThat(client.get(finished).orElseThrow().state()).isEqualTo(JobState.DISCARDED);
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where id = " + holder);
        assertThat(client.retry(finished)).as("once the holder has finished").isTrue();
    }

    @Test
    void badRulesAreRejectedByNameAndABatchWithOneWritesNothing() throws Exception {
        assertThatThrownBy(() -> Uniqueness.byArgs().whileIn(JobState.AVAILABLE, JobState.RUNNING))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unique: states must include scheduled, available, running and retryable")
                .hasMessageContaining("[SCHEDULED, RETRYABLE]");
        assertThatThrownBy(() -> Uniqueness.byArgs().period(Duration.ofMillis(10)))
                .hasMessageStartingWith("unique: period PT0.01S is out of range");
        assertThatThrownBy(() -> Uniqueness.byArgs("customerId", "customerId"))
                .hasMessage("unique: args field 'customerId' is named twice");
        assertThatThrownBy(() -> client.enqueueAll(List.of(report(1, "march"),
                JobRequest.of(new BuildReport(2, "march")).unique(Uniqueness.byArgs("customer")))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("requests[1]: unique: args of kind 'report.build' have no field 'customer'");

        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isZero();
    }

    private interface PerThread<T> {
        T run(int thread) throws Exception;
    }

    /** Runs {@code work} on {@value #THREADS} threads let go at once; returns their results in thread order. */
    private static <T> List<T> race(PerThread<T> work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit((Callable<T>) () -> {
                    start.await();
                    return work.run(thread);
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(120, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static EnqueueResult inTransaction(SqlWork work) throws Exception {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            EnqueueResult result = work.run(c);
            c.commit();
            return result;
        }
    }

    private interface SqlWork {
        EnqueueResult run(Connection connection) throws Exception;
    }
}
