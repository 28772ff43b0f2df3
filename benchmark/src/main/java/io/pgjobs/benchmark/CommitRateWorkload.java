package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The machine's commit rate: one thread inserting one row per statement in autocommit, so every insert is a
 * commit of its own. Under durable settings each waits for its WAL to reach the disk: the floor under any
 * one-job-per-transaction figure (the single enqueue, a claim or completion of one job), read beside the ceiling.
 */
final class CommitRateWorkload implements Workload {
    private static final int WARM_UP_COMMITS = 200;

    @Override
    public void run(Context context) throws Exception {
        int seconds = context.quick() ? 3 : 10;
        String url = context.server().fresh("commit_rate");
        long commits = 0;
        long elapsedNanos;
        try (HikariDataSource pool = BenchDatabase.pool(url, 1)) {
            BenchDatabase.execute(pool, "create table commit_rate (id bigserial primary key, at timestamptz not null default now())");
            try (Connection c = pool.getConnection();
                 PreparedStatement insert = c.prepareStatement("insert into commit_rate default values")) {
                for (int i = 0; i < WARM_UP_COMMITS; i++) {
                    insert.executeUpdate();
                }
                long start = System.nanoTime();
                long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
                while (System.nanoTime() < deadline) {
                    insert.executeUpdate();
                    commits++;
                }
                elapsedNanos = System.nanoTime() - start;
            }
        }
        context.server().drop(url);
        double rate = commits / (elapsedNanos / 1e9);
        context.report().row("commit rate (1 thread, autocommit single-row INSERT)",
                String.format(Locale.ROOT, "%,.0f commits/s (%.3f ms each)", rate, 1_000 / rate));
        context.report().result("commit_rate", "commits_per_s=%.0f durable=%s", rate, context.options().durable());
    }
}
