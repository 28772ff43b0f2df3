package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BackpressureTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("report.build")
    record BuildReport(int n) {}

    private static final int MAX = 3;

    @BeforeEach
    void declareTheMaximum() throws Exception {
        db.execute("delete from pgjobs.queues");
        // the node that works the queue declares its maximum when it starts
        schedulers.start(Scheduler.builder(db.dataSource()).queueMaxDepth("reports", MAX));
    }

    /** A client of an application that only enqueues: it never starts, and reads the maximum from the database. */
    private JobClient enqueuer(Scheduler.Builder builder) {
        return schedulers.build(builder).client();
    }

    private static JobRequest report(int n) {
        return JobRequest.of(new BuildReport(n)).queue("reports");
    }

    private static long jobs() throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs");
    }

    @Test
    void aFullQueueRefusesAtOnceAndARefusalWritesNothing() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        JobClient client = enqueuer(Scheduler.builder(db.dataSource()).meterRegistry(registry));
        client.enqueueAll(List.of(report(1), report(2)));

        assertThatThrownBy(() -> client.enqueueAll(List.of(report(3), report(4))))
                .isInstanceOfSatisfying(QueueFullException.class, full -> {
                    assertThat(full.queue()).isEqualTo("reports");
                    assertThat(full.depth()).isEqualTo(2);
                    assertThat(full.maxDepth()).isEqualTo(MAX);
                    assertThat(full.jobs()).isEqualTo(2);
                })
                .hasMessage("queue 'reports' is full: 2 jobs waiting, maximum 3 (queueMaxDepth); the 2 jobs were "
                        + "not enqueued");
        assertThat(jobs()).as("a refused batch writes nothing").isEqualTo(2);
        client.enqueue(report(3));
        assertThatThrownBy(() -> client.enqueue(report(4))).isInstanceOf(QueueFullException.class)
                .hasMessageEndingWith("the job was not enqueued");

        assertThat(jobs()).isEqualTo(MAX);
        assertThat(registry.get("pgjobs.enqueue.rejected").tag("queue", "reports").counter().count()).isEqualTo(3);
        assertThat(registry.get("pgjobs.queue.saturation").tag("queue", "reports").gauge().value()).isEqualTo(1.0);
    }

    @Test
    void inTheCallersTransactionARefusalLeavesTheRestOfItUsable() throws Exception {
        JobClient client = enqueuer(Scheduler.builder(db.dataSource()));
        db.execute("create table if not exists orders (id int)");
        db.execute("truncate orders");
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            client.enqueueAll(c, List.of(report(1), report(2), report(3)));
            assertThatThrownBy(() -> client.enqueue(c, report(4)))
                    .as("the transaction's own uncommitted jobs count").isInstanceOf(QueueFullException.class);
            try (Statement s = c.createStatement()) {
                s.execute("insert into orders values (1)");
            }
            c.commit();
        }
        assertThat(jobs()).isEqualTo(MAX);
        assertThat(db.queryLong("select count(*) from orders")).isEqualTo(1);
    }

    @Test
    void queuesWithoutAMaximumAndRunningJobsDoNotCount() throws Exception {
        JobClient client = enqueuer(Scheduler.builder(db.dataSource()));
        client.enqueueAll(List.of(report(1), report(2), report(3)));
        List<JobRequest> bulk = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            bulk.add(JobRequest.of(new BuildReport(i)));
        }
        client.enqueueAll(bulk);
        db.execute("update pgjobs.jobs set state = 'running', attempt = 1, node_id = 'n', "
                + "lease_expires_at = now() + interval '1 hour' where queue = 'reports' and args->>'n' = '1'");

        assertThat(client.enqueue(report(4)).duplicate()).isFalse();
        assertThat(jobs()).isEqualTo(504);
    }

    @Test
    void aClientThatWaitsEnqueuesOnceThereIsRoom() throws Exception {
        JobClient client = enqueuer(Scheduler.builder(db.dataSource()).enqueueWaitWhenFull(Duration.ofMinutes(5)));
        List<Long> ids = client.enqueueAll(List.of(report(1), report(2), report(3))).stream()
                .map(EnqueueResult::id).toList();

        CompletableFuture<EnqueueResult> waiting = CompletableFuture.supplyAsync(() -> client.enqueue(report(4)));
        assertThat(waiting).as("no room yet").isNotDone();
        db.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where id = " + ids.getFirst());

        assertThat(waiting.get(2, TimeUnit.MINUTES).duplicate()).isFalse();
        assertThat(jobs()).isEqualTo(4);
    }

    @Test
    void aClientThatWaitsGivesUpAfterItsWait() throws Exception {
        JobClient client = enqueuer(Scheduler.builder(db.dataSource()).enqueueWaitWhenFull(Duration.ofMillis(200)));
        client.enqueueAll(List.of(report(1), report(2), report(3)));

        assertThatThrownBy(() -> client.enqueue(report(4))).isInstanceOf(QueueFullException.class);
        assertThatThrownBy(() -> client.enqueueAll(List.of(report(4), report(5), report(6), report(7))))
                .as("a batch bigger than the maximum").isInstanceOf(QueueFullException.class);
        assertThat(jobs()).isEqualTo(MAX);
    }

    @Test
    void badSettingsAreRejectedByName() {
        Scheduler.Builder builder = Scheduler.builder(db.dataSource()).queueMaxDepth("a", 10);
        assertThatThrownBy(() -> builder.queueMaxDepth("b", 0))
                .hasMessage("queueMaxDepth: queue 'b': maximum depth 0 must be at least 1");
        assertThatThrownBy(() -> builder.queueMaxDepth("a", 5))
                .hasMessage("queueMaxDepth: queue 'a' is given a maximum twice");
        assertThatThrownBy(() -> builder.queueMaxDepth(" ", 5)).hasMessageStartingWith("queueMaxDepth: queue name");
        assertThatThrownBy(() -> builder.enqueueWaitWhenFull(Duration.ofSeconds(-1)))
                .hasMessageStartingWith("enqueueWaitWhenFull: PT-1S is out of range");
    }
}
