package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.PartitionKey;
import io.pgjobs.internal.config.Config.QueueFlow;
import io.pgjobs.internal.store.ExecutionStore.AfterCompletions;
import io.pgjobs.internal.store.ExecutionStore.Completed;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A completion and the flow claim of the slots it frees in one transaction ({@link ExecutionStore#complete} with
 * work after it, as the completer does for queues with limits): the claim sees the slots the completion freed,
 * and the two commit together or not at all. Whatever stops the transaction before its commit (the commit
 * itself failing, the node's connection dying as when the node is killed, the database crashing) leaves the
 * jobs, their attempts and the counts of running jobs exactly as they were before it; a claim that fails on its
 * own is rolled back and the completions commit without it.
 */
class CompletionClaimTest {
    @RegisterExtension
    static final PgDatabase db = PgDatabase.onOwnServer();

    /** At most two running in the queue, at most one per customer. */
    private static final QueueFlow TWO_IN_ALL = new QueueFlow(2, 1, PartitionKey.args("c"), null, null);
    private static final String NODE = "n";

    private final FlowStore flow = new FlowStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs");
    private final ExecutionStore executions = new ExecutionStore(db.dataSource(), PgDatabase.SCHEMA,
            "pgjobs_results_pgjobs", Duration.ofSeconds(30));

    @BeforeEach
    void twoRunningAndTwoWaiting() throws Exception {
        Await.until(Duration.ofSeconds(60), "the server takes queries", CompletionClaimTest::serverUp);
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
        db.execute("insert into pgjobs.jobs (kind, queue, args) select 'k', 'q', jsonb_build_object('c', c) "
                + "from unnest(array['a', 'b', 'c', 'd']) c order by c");
        assertThat(claim(10)).extracting(ClaimedJob::argsJson).containsExactly("{\"c\": \"a\"}", "{\"c\": \"b\"}");
    }

    private List<ClaimedJob> claim(int limit) throws SQLException {
        return flow.claimFlow("q", List.of("k"), List.of(), limit, NODE, 60_000, TWO_IN_ALL, Map.of()).jobs();
    }

    private static List<Completion> succeeded(List<ClaimedJob> jobs) {
        return jobs.stream().map(job -> Completion.succeeded(job, null)).toList();
    }

    /** The running jobs' completions, each job as the claim above returned it. */
    private List<Completion> runningCompleted() throws SQLException {
        List<ClaimedJob> running = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id, attempt from pgjobs.jobs where state = 'running' order by id")) {
            while (rs.next()) {
                running.add(new ClaimedJob(rs.getLong(1), "k", "q", rs.getInt(2), 25, "{}", "{}", 0,
                        System.nanoTime(), null));
            }
        }
        return succeeded(running);
    }

    /** Everything the transaction could change: the jobs, their attempts and the kept counts. */
    private static List<String> everything() throws SQLException {
        List<String> rows = new ArrayList<>();
        rows.addAll(strings("select id || ' ' || (args->>'c') || ' ' || state || ' ' || attempt || ' ' "
                + "|| coalesce(node_id, '-') || ' ' || coalesce(flow_partition, '-') from pgjobs.jobs order by id"));
        rows.addAll(strings("select 'attempt ' || job_id || '/' || attempt || ' ' || outcome from pgjobs.attempts "
                + "order by job_id, attempt"));
        rows.addAll(strings("select 'tally ' || queue || '/' || partition || '/' || entered || '=' || jobs "
                + "from pgjobs.flow_running_tallies order by queue, partition, entered"));
        rows.addAll(strings("select 'running ' || coalesce(sum(running), 0) from pgjobs.flow_running"));
        return rows;
    }

    private static List<String> strings(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }

    /** The claim after the completions, in their transaction. */
    private AfterCompletions<List<ClaimedJob>> claimAfter(int limit) {
        return (transaction, written, began) -> flow.claimFlow(transaction, began, "q", List.of("k"), List.of(),
                limit, NODE, 60_000, TWO_IN_ALL, Map.of()).jobs();
    }

    @Test
    void theClaimTakesTheSlotsItsCompletionsFreeAndCommitsWithThem() throws Exception {
        // before the completions commit, only their own transaction sees the slots free
        assertThat(claim(10)).as("both slots are taken").isEmpty();
        Completed<List<ClaimedJob>> completed = executions.complete(runningCompleted(), NODE, Duration.ofMinutes(1),
                claimAfter(10));

        assertThat(completed.written()).hasSize(2);
        assertThat((Throwable) completed.afterFailure()).isNull();
        assertThat(completed.after()).extracting(ClaimedJob::argsJson)
                .containsExactlyInAnyOrder("{\"c\": \"c\"}", "{\"c\": \"d\"}");
        assertThat(strings("select (args->>'c') || ' ' || state from pgjobs.jobs order by id"))
                .containsExactly("a completed", "b completed", "c running", "d running");
        assertThat(db.queryLong("select sum(running) from pgjobs.flow_running")).isEqualTo(2);
    }

    @Test
    void aClaimThatFailsIsRolledBackAndTheCompletionsCommitAlone() throws Exception {
        Completed<List<ClaimedJob>> completed = executions.complete(runningCompleted(), NODE, Duration.ofMinutes(1),
                (transaction, written, began) -> {
                    claimAfter(10).run(transaction, written, began);
                    try (Statement s = transaction.createStatement()) {
                        s.execute("select 1 / 0");
                    }
                    return List.of();
                });

        assertThat(completed.written()).hasSize(2);
        assertThat((Throwable) completed.afterFailure()).hasMessageContaining("division by zero");
        assertThat(strings("select (args->>'c') || ' ' || state from pgjobs.jobs order by id"))
                .containsExactly("a completed", "b completed", "c available", "d available");
        assertThat(db.queryLong("select count(*) from pgjobs.attempts")).isEqualTo(2);
        assertThat(db.queryLong("select coalesce(sum(running), 0) from pgjobs.flow_running")).isZero();
    }

    @Test
    void aCommitThatFailsLeavesTheJobsAndTheCountsAsTheyWere() throws Exception {
        // a check at commit that fails only for transactions that ask for it
        db.execute("""
                create function pgjobs.fail_at_commit() returns trigger language plpgsql as $$
                begin
                    if current_setting('pgjobs_test.fail_at_commit', true) = 'on' then
                        raise exception 'this commit fails';
                    end if;
                    return null;
                end $$""");
        db.execute("create constraint trigger fail_at_commit after insert on pgjobs.attempts "
                + "deferrable initially deferred for each row execute function pgjobs.fail_at_commit()");
        try {
            List<String> before = everything();
            assertThatThrownBy(() -> executions.complete(runningCompleted(), NODE, Duration.ofMinutes(1),
                    (transaction, written, began) -> {
                        List<ClaimedJob> claimed = claimAfter(10).run(transaction, written, began);
                        assertThat(claimed).hasSize(2);
                        try (Statement s = transaction.createStatement()) {
                            s.execute("select set_config('pgjobs_test.fail_at_commit', 'on', true)");
                        }
                        return claimed;
                    })).isInstanceOf(SQLException.class).hasMessageContaining("this commit fails");
            assertThat(everything()).isEqualTo(before);
        } finally {
            db.execute("drop trigger fail_at_commit on pgjobs.attempts");
            db.execute("drop function pgjobs.fail_at_commit()");
        }
    }

    /** As when the node is killed mid-transaction: its connection ends, and the server rolls the transaction back. */
    @Test
    void aNodeWhoseConnectionDiesBeforeTheCommitLeavesTheJobsAndTheCountsAsTheyWere() throws Exception {
        List<String> before = everything();
        assertThatThrownBy(() -> executions.complete(runningCompleted(), NODE, Duration.ofMinutes(1),
                (transaction, written, began) -> {
                    List<ClaimedJob> claimed = claimAfter(10).run(transaction, written, began);
                    assertThat(claimed).hasSize(2);
                    db.execute("select pg_terminate_backend(" + backendPid(transaction) + ")");
                    return claimed;
                })).isInstanceOf(SQLException.class);
        assertThat(everything()).isEqualTo(before);
    }

    @Test
    void aDatabaseCrashBeforeTheCommitLeavesTheJobsAndTheCountsAsTheyWere() throws Exception {
        List<String> before = everything();
        assertThatThrownBy(() -> executions.complete(runningCompleted(), NODE, Duration.ofMinutes(1),
                (transaction, written, began) -> {
                    List<ClaimedJob> claimed = claimAfter(10).run(transaction, written, began);
                    assertThat(claimed).hasSize(2);
                    try {
                        db.crashServer();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return claimed;
                })).isInstanceOf(SQLException.class);
        Await.until(Duration.ofSeconds(60), "the server takes queries after crash recovery",
                CompletionClaimTest::serverUp);
        assertThat(everything()).isEqualTo(before);
    }

    private static int backendPid(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Whether the pool gives a working connection (each failed try drops a connection the crash broke). */
    private static boolean serverUp() {
        try {
            return db.queryLong("select 1") == 1;
        } catch (SQLException stillRecovering) {
            return false;
        }
    }
}
