package io.pgjobs.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.PartitionKey;
import io.pgjobs.internal.config.Config.QueueFlow;
import io.pgjobs.internal.config.ObserveConfig;
import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.ClaimedJob;
import io.pgjobs.internal.store.Completion;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.internal.store.FlowStore;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The wake-up of a queue with flow control after its jobs ended: its notification is sent in the completion's
 * own transaction (with it or not at all), and the node's own claimer of the queue is woken directly once the
 * completion committed, without its notification; never before the ended job's slot is free, which the completer
 * frees only once it counts the completion as unwritten (the backpressure of {@link Completer#behind()}).
 */
class CompletionWakeUpTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final String CHANNEL = "completion_wake_up_test";
    private static final String NODE = "wake-up-node";
    private static final QueueFlow ONE_PER_CUSTOMER = new QueueFlow(null, 1, PartitionKey.args("c"), null, null);

    private final FlowStore flow = new FlowStore(db.dataSource(), PgDatabase.SCHEMA, CHANNEL);
    private final ExecutionStore executions = new ExecutionStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
            "pgjobs_results_pgjobs", Duration.ofSeconds(30));

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
    }

    private ClaimedJob claimOne(String queue) throws Exception {
        db.execute("insert into pgjobs.jobs (kind, queue, args) values ('k', '" + queue + "', '{\"c\": \"a\"}')");
        List<ClaimedJob> claimed = flow.claimFlow(queue, List.of("k"), List.of(), 10, NODE, 30_000, ONE_PER_CUSTOMER,
                Map.of()).jobs();
        assertThat(claimed).hasSize(1);
        return claimed.getFirst();
    }

    private static Connection listening() throws SQLException {
        Connection listener = db.connect();
        try (Statement s = listener.createStatement()) {
            s.execute("LISTEN " + CHANNEL);
        }
        return listener;
    }

    /** The next notification on the channel, waiting for it up to a minute. */
    private static String nextNotification(Connection listener) throws Exception {
        PGNotification[] received = new PGNotification[0];
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (received.length == 0 && System.nanoTime() < deadline) {
            received = listener.unwrap(PGConnection.class).getNotifications(1_000);
        }
        assertThat(received).as("a notification within a minute").isNotEmpty();
        return received[0].getParameter();
    }

    private static String stateOf(long jobId) throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs where id = " + jobId + " and state = 'completed'") == 1
                ? "completed" : "not completed";
    }

    @Test
    void theCompletersWakeUpCommitsWithTheEndsAndWakesThisNodesClaimerWithoutItsNotification() throws Exception {
        ClaimedJob job = claimOne("limited");
        Telemetry telemetry = new Telemetry(new ObserveConfig.Builder().build(), NODE, null);
        ConcurrentLinkedQueue<String> wokenHere = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> stateWhenWoken = new ConcurrentLinkedQueue<>();
        Completer completer = new Completer(executions, NODE, Duration.ofSeconds(30), new HeldJobs(), telemetry,
                Set.of("limited"), flow, queue -> {
                    wokenHere.add(queue);
                    stateWhenWoken.add(stateOrFailure(job.id()));
                }, new CircuitBreakers(Map.of(), null, telemetry, 1_000));
        try (Connection listener = listening()) {
            completer.start();
            try {
                completer.submit(job, Completion.succeeded(job, null), 0, () -> { });
                Await.until(Duration.ofSeconds(60), "this node's claimer woken", () -> !wokenHere.isEmpty());
            } finally {
                completer.stop();
            }
            assertThat(wokenHere).containsExactly("limited");
            assertThat(stateWhenWoken).as("the job's state when the claimer was woken").containsExactly("completed");
            assertThat(nextNotification(listener)).isEqualTo("q:limited");
        }
    }

    @Test
    void anEndedJobCountsAsUnwrittenBeforeItsSlotIsFreedAndWakesItsClaimerOnlyAfter() throws Exception {
        ClaimedJob job = claimOne("limited");
        Telemetry telemetry = new Telemetry(new ObserveConfig.Builder().build(), NODE, null);
        CircuitBreakers circuits = new CircuitBreakers(Map.of(), null, telemetry, 1_000);

        // not started: nothing is written, so every completion submitted stays unwritten
        Completer unstarted = new Completer(executions, NODE, Duration.ofSeconds(30), new HeldJobs(), telemetry,
                Set.of("limited"), flow, queue -> { }, circuits);
        for (int i = 1; i < Completer.MAX_BATCH; i++) {
            unstarted.submit(job, Completion.succeeded(job, null), 0, () -> { });
        }
        assertThat(unstarted.behind()).as("one completion short of a full batch").isFalse();
        AtomicBoolean behindWhenSlotFreed = new AtomicBoolean();
        unstarted.submit(job, Completion.succeeded(job, null), 0, () -> behindWhenSlotFreed.set(unstarted.behind()));
        assertThat(behindWhenSlotFreed).as("a claim into the freed slot already sees the full batch").isTrue();

        AtomicBoolean slotFree = new AtomicBoolean();
        ConcurrentLinkedQueue<Boolean> slotFreeWhenWoken = new ConcurrentLinkedQueue<>();
        Completer completer = new Completer(executions, NODE, Duration.ofSeconds(30), new HeldJobs(), telemetry,
                Set.of("limited"), flow, queue -> slotFreeWhenWoken.add(slotFree.get()), circuits);
        completer.start();
        try {
            completer.submit(job, Completion.succeeded(job, null), 0, () -> slotFree.set(true));
            Await.until(Duration.ofSeconds(60), "this node's claimer woken", () -> !slotFreeWhenWoken.isEmpty());
        } finally {
            completer.stop();
        }
        assertThat(slotFreeWhenWoken).as("the slot was free when the claimer was woken").containsExactly(true);
    }

    @Test
    void aWakeUpIsSentWithTheCompletionsTransactionAndNotWhenItRollsBack() throws Exception {
        ClaimedJob job = claimOne("limited");
        try (Connection listener = listening()) {
            assertThatThrownBy(() -> executions.complete(List.of(Completion.succeeded(job, null)), NODE,
                    Duration.ofSeconds(30), (connection, written) -> {
                        assertThat(written).containsOnlyKeys(job.id());
                        flow.wakeQueues(connection, Set.of("rolled-back"));
                        throw new SQLException("the completion fails after its wake-up");
                    })).hasMessageContaining("fails after its wake-up");
            assertThat(stateOf(job.id())).isEqualTo("not completed");

            executions.complete(List.of(Completion.succeeded(job, null)), NODE, Duration.ofSeconds(30),
                    (connection, written) -> flow.wakeQueues(connection, Set.of("limited")));
            assertThat(stateOf(job.id())).isEqualTo("completed");
            // notifications arrive in commit order: one of the rolled-back transaction would come first
            assertThat(nextNotification(listener)).isEqualTo("q:limited");
        }
    }

    private static String stateOrFailure(long jobId) {
        try {
            return stateOf(jobId);
        } catch (Exception e) {
            return e.toString();
        }
    }
}
