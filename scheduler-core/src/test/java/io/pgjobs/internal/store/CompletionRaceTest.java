package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.JobState;
import io.pgjobs.internal.store.Completion;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.testing.PgDatabase;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Batched completions racing another transaction that keeps updating the same running rows (as lease renewals
 * do): every completion must apply exactly once. An update joined to its input rows skipped some of them and
 * wrote the attempt of others twice here, before completions locked their rows first.
 */
class CompletionRaceTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final int JOBS = 2_000;

    @Test
    void everyCompletionAppliesOnceWhileItsRowsAreUpdatedConcurrently() throws Exception {
        db.execute("insert into pgjobs.jobs (id, kind, state, attempt, node_id, started_at, lease_expires_at)"
                + " select g, 'k', 'running', 1, 'n', now(), now() + interval '1 minute' from generate_series(1, " + JOBS + ") g");
        ExecutionStore store = new ExecutionStore(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs",
                "pgjobs_results_pgjobs", Duration.ofSeconds(30));
        AtomicBoolean finished = new AtomicBoolean();
        CompletableFuture<Integer> renewals = CompletableFuture.supplyAsync(() -> {
            int rounds = 0;
            while (!finished.get()) {
                try {
                    Sql.inTransaction(db.dataSource(), Duration.ofSeconds(30), connection -> {
                        try (Statement s = connection.createStatement()) {
                            // the running rows the completions are about to reach, renewed under their feet (locked
                            // in id order, as completions lock theirs, so the two never deadlock)
                            return s.executeUpdate("update pgjobs.jobs set lease_expires_at = now() + interval '1 minute'"
                                    + " where id = any(array(select id from pgjobs.jobs where state = 'running'"
                                    + " order by id limit 40 for update))");
                        }
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                rounds++;
            }
            return rounds;
        });
        int applied = 0;
        try {
            for (int first = 1; first <= JOBS; first += 37) {
                List<Completion> batch = new ArrayList<>();
                for (long id = first; id < first + 37 && id <= JOBS; id++) {
                    batch.add(new Completion(id, 1, JobState.COMPLETED, Outcome.COMPLETED, 0, 0, null, null, null, null, 0));
                }
                applied += store.complete(batch, "n", Duration.ofSeconds(30)).size();
            }
        } finally {
            finished.set(true);
        }
        assertThat(renewals.get()).isPositive();
        assertThat(applied).isEqualTo(JOBS);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'")).isEqualTo(JOBS);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts")).isEqualTo(JOBS);
        assertThat(db.queryLong("select count(distinct job_id) from pgjobs.attempts")).isEqualTo(JOBS);
    }
}
