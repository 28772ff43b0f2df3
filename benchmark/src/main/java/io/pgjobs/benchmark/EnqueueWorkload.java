package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobClient;
import io.pgjobs.Scheduler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import javax.sql.DataSource;

/**
 * Enqueueing from one thread: single jobs, one transaction each, beside a plain INSERT of the same row (with and
 * without a {@code pg_notify}); and batches of 1,000.
 */
final class EnqueueWorkload implements Workload {
    private static final int ROUND = 500;

    @Override
    public void run(Context context) throws Exception {
        int single = context.quick() ? 1_500 : 10_000; // each a commit, which a durable server first writes to disk
        int batched = context.quick() ? 50_000 : 200_000;
        String url = context.server().fresh("enqueue");
        try (HikariDataSource pool = BenchDatabase.pool(url, 4)) {
            JobClient client = Scheduler.builder(pool).build().client();
            // The plain INSERT, with and without a pg_notify, goes the way an application's INSERT goes: a
            // connection from the same pool for each, autocommit, so that all three run on the same server
            // process (on a connection held apart, the same plain INSERT ran faster than through the pool).
            // Rounds in shuffled order, so that whatever changes during the run (the table's size, a
            // checkpoint, an autovacuum, the JIT compiler) weighs on all alike: measured one after the other,
            // the plain INSERTs ran slower the more enqueues had gone before.
            String plain = "insert into pgjobs.jobs (kind, queue, args) values (?, ?, ?::jsonb)";
            String notifying = "insert into pgjobs.jobs (kind, queue, args) values (?, ?, ?::jsonb) "
                    + "returning pg_notify('pgjobs_pgjobs', 'q:' || queue) is null";
            List<Callable<?>> singles = List.of(
                    () -> client.enqueue(new Noop(0)),
                    () -> insertNoopRow(pool, plain),
                    () -> insertNoopRow(pool, notifying));
            for (int i = 0; i < ROUND; i++) { // warm up the JIT and the prepared statements
                for (Callable<?> call : singles) {
                    call.call();
                }
            }
            List<Integer> rounds = new ArrayList<>();
            for (int round = 0; round < single / ROUND; round++) {
                rounds.addAll(List.of(0, 1, 2));
            }
            Collections.shuffle(rounds, new Random(7));
            long[] nanos = new long[singles.size()];
            for (int which : rounds) {
                long start = System.nanoTime();
                for (int i = 0; i < ROUND; i++) {
                    singles.get(which).call();
                }
                nanos[which] += System.nanoTime() - start;
            }
            double singleRate = single / (nanos[0] / 1e9);
            double plainRate = single / (nanos[1] / 1e9);
            double notifyingRate = single / (nanos[2] / 1e9);

            // The batch path warms up too: cold, the first batches go in markedly slower than the next.
            Noop.enqueue(client, context.quick() ? 10_000 : 30_000, 1_000);
            long start = System.nanoTime();
            Noop.enqueue(client, batched, 1_000);
            double batchRate = batched / ((System.nanoTime() - start) / 1e9);

            Report report = context.report();
            report.row("enqueue, one transaction each (1 thread)", Report.jobsPerS(singleRate)
                    + String.format(Locale.ROOT,
                    "  (plain INSERT: %.0f/s, ratio %.2f; INSERT with pg_notify: %.0f/s, ratio %.2f)",
                    plainRate, singleRate / plainRate, notifyingRate, singleRate / notifyingRate));
            report.row("enqueue, batches of 1,000 (1 thread)", Report.jobsPerS(batchRate) + report.ofCeiling(batchRate));
            report.result("enqueue_single", "jobs_per_s=%.0f plain_insert_per_s=%.0f ratio=%.2f notifying_insert_per_s=%.0f",
                    singleRate, plainRate, singleRate / plainRate, notifyingRate);
            report.result("enqueue_batch", "jobs_per_s=%.0f ceiling_jobs_per_s=%.0f ratio=%.2f",
                    batchRate, report.ceiling(), batchRate / report.ceiling());
        }
        context.server().drop(url);
    }

    private static boolean insertNoopRow(DataSource pool, String insert) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement statement = c.prepareStatement(insert)) {
            statement.setString(1, "bench.noop");
            statement.setString(2, "default");
            statement.setString(3, "{\"sentNanos\": 0}");
            return statement.execute();
        }
    }
}
