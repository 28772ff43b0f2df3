package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Payload integrity (V34, docs/guide.md): every way a job is inserted stores the SHA-256 of its args; a node
 * discards a job whose args no longer match it, without running its handler, with the error, an event and a
 * metric; a job inserted without one (before V34) runs as before.
 */
class ArgsChecksumTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("checksum.order")
    record Order(long id, String customer, double total) {}

    /** Args whose {@code value} is written into their JSON as it is (here: an object with a key given twice). */
    record RawJson(@JsonRawValue String value) {}

    private final Set<Long> ran = ConcurrentHashMap.newKeySet();

    /**
     * Jobs with an id above {@code idAbove} whose stored checksum is not the SHA-256 of their args' text as the
     * database prints them (none stored counts as wrong).
     */
    private static long wrongChecksums(long idAbove) throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs where id > " + idAbove
                + " and args_sha256 is distinct from sha256(convert_to(args::text, 'UTF8'))");
    }

    private static long lastJobId() throws Exception {
        return db.queryLong("select coalesce(max(id), 0) from pgjobs.jobs");
    }

    /**
     * pgjobs' own ways of inserting a job compute the checksum in their statements (V34's trigger is only for rows
     * inserted by other means): with the trigger disabled, a way that left it to the trigger stores none.
     */
    @Test
    void everyWayOfEnqueueingStoresTheChecksumItself() throws Exception {
        JobClient client = Scheduler.builder(db.dataSource()).buildClient();
        long before = lastJobId();
        db.execute("alter table pgjobs.jobs disable trigger jobs_args_sha256");
        try {
            client.enqueue(JobRequest.of(new Order(1, "ada", 10.5)));                             // one job
            client.enqueue(JobRequest.of(new Order(2, "bob", 1e2)).idempotencyKey("order-2"));    // one keyed job
            client.enqueue(JobRequest.of(new Order(3, "cy", 3)).unique(Uniqueness.byArgs()));      // one unique job
            client.enqueueAll(orders(4, 10));                                                   // a batch (arrays)
            client.enqueueAll(orders(100, 250));                                                // 150: COPY
            db.execute("select pgjobs.enqueue('checksum.order', "
                    + "'{\"id\": 500, \"total\": 1.50, \"customer\": \"é\\u00e9\", \"n\": 1e2}')");     // from SQL
            client.workflows().enqueue(Workflow.builder("checksums")                           // a workflow's steps
                    .step("a", JobRequest.of(new Order(600, "dee", 0.1)))
                    .step("b", JobRequest.of(new Order(601, "eve", 2)), "a")
                    .build());
        } finally {
            db.execute("alter table pgjobs.jobs enable trigger jobs_args_sha256");
        }

        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id > " + before)).isEqualTo(3 + 6 + 150 + 1 + 2);
        assertThat(wrongChecksums(before)).isZero();
    }

    /**
     * The bulk route (COPY) computes the checksums on the client (JsonbText); args whose jsonb text it leaves to
     * the database (here keys that are not ASCII, and duplicate keys) go in without one and get it from the trigger,
     * beside jobs whose checksum the client computed, in the same batch.
     */
    @Test
    void aBulkBatchLeavesWhatTheClientCannotComputeToTheTrigger() throws Exception {
        JobClient client = Scheduler.builder(db.dataSource()).buildClient();
        long before = lastJobId();
        List<JobRequest> requests = new ArrayList<>(orders(1_000, 1_100));
        IntStream.range(0, 50).forEach(i -> requests.add(JobRequest.of("checksum.map", Map.of("clé", i, "b", "x"))));
        requests.add(JobRequest.of("checksum.map", new RawJson("{\"a\": 1, \"a\": 2}")));
        client.enqueueAll(requests);

        assertThat(db.queryLong("select count(*) from pgjobs.jobs where id > " + before)).isEqualTo(151);
        assertThat(wrongChecksums(before)).isZero();
    }

    /** A row inserted by other means than pgjobs' (a user's own INSERT, a node of an older version) gets it too. */
    @Test
    void aJobInsertedByHandGetsTheChecksumFromTheTrigger() throws Exception {
        long before = lastJobId();
        db.execute("insert into pgjobs.jobs (kind, args) values ('checksum.order', '{\"id\": 700, \"total\": 2.50}')");

        assertThat(db.queryLong("select count(*) from pgjobs.jobs where args_sha256 is not null and id > " + before))
                .isEqualTo(1);
        assertThat(wrongChecksums(before)).isZero();
    }

    @Test
    void argsChangedBehindPgjobsBackAreDiscardedUnrun() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<SchedulerEvent> events = new CopyOnWriteArrayList<>();
        Scheduler.Builder builder = Scheduler.builder(db.dataSource())
                .queue("default", 4)
                .pollInterval(Duration.ofMillis(100))
                .meterRegistry(registry)
                .listener(events::add)
                .handler(Order.class, ctx -> ran.add(ctx.args().id()));
        Scheduler enqueuer = schedulers.build(builder);
        long intact = enqueuer.client().enqueue(JobRequest.of(new Order(1, "ada", 10))).id();
        long tampered = enqueuer.client().enqueue(JobRequest.of(new Order(2, "bob", 20))).id();
        long beforeV34 = enqueuer.client().enqueue(JobRequest.of(new Order(3, "cy", 30))).id();
        // what a hand-written fix-up, a bad restore or another program does: the row changes, its checksum stays
        db.execute("update pgjobs.jobs set args = jsonb_set(args, '{total}', '2000') where id = " + tampered);
        // a job inserted before the migration has no checksum: it is not checked
        db.execute("update pgjobs.jobs set args_sha256 = null where id = " + beforeV34);

        schedulers.start(builder);
        Await.until(Duration.ofSeconds(60), "the three jobs to finish", () -> db.queryLong(
                "select count(*) from pgjobs.jobs where state in ('completed', 'discarded')") == 3);

        assertThat(ran).containsExactlyInAnyOrder(1L, 3L);
        Job job = enqueuer.client().get(tampered).orElseThrow();
        assertThat(job.state()).isEqualTo(JobState.DISCARDED);
        assertThat(job.attempt()).as("no retry: the args will not get right by themselves").isEqualTo(1);
        assertThat(job.lastError()).contains("args checksum mismatch", "job " + tampered,
                "changed after the enqueue, outside pgjobs");
        assertThat(enqueuer.client().get(intact).orElseThrow().state()).isEqualTo(JobState.COMPLETED);
        assertThat(enqueuer.client().get(beforeV34).orElseThrow().state()).isEqualTo(JobState.COMPLETED);
        Await.until(Duration.ofSeconds(30), "the mismatch's and the discard's events",
                () -> events.stream().anyMatch(e -> e instanceof SchedulerEvent.JobDiscarded d && d.jobId() == tampered));
        assertThat(events).filteredOn(SchedulerEvent.ArgsChecksumMismatch.class::isInstance).singleElement()
                .isInstanceOfSatisfying(SchedulerEvent.ArgsChecksumMismatch.class, mismatch -> {
                    assertThat(mismatch.jobId()).isEqualTo(tampered);
                    assertThat(mismatch.expectedSha256()).isNotEqualTo(mismatch.actualSha256()).hasSize(64);
                });
        assertThat(registry.get("pgjobs.jobs.args.mismatches").tag("kind", "checksum.order").counter().count())
                .isEqualTo(1);
    }

    private static List<JobRequest> orders(int from, int to) {
        List<JobRequest> requests = new ArrayList<>();
        IntStream.range(from, to).forEach(i -> requests.add(JobRequest.of(new Order(i, "customer-" + i, i * 1.25))));
        return requests;
    }
}
