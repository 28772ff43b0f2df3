package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The plain-SQL ceiling: a job's lifecycle at batch 100 (insert 100, claim 100 with {@code FOR UPDATE SKIP
 * LOCKED}, delete them) on two connections, the same statements and table as {@code shared/ceiling}. Every
 * throughput of the run is read as a fraction of it.
 */
final class CeilingWorkload implements Workload {
    private static final int BATCH = 100;

    @Override
    public void run(Context context) throws Exception {
        int seconds = context.quick() ? 5 : 20;
        String url = context.server().fresh("ceiling");
        double rate;
        String cpuUse;
        try (HikariDataSource pool = BenchDatabase.pool(url, 2)) {
            AtomicLong jobs = new AtomicLong();
            CpuMeter cpu = new CpuMeter(context.server().serverProcess(), List.of(ProcessHandle.current()));
            CpuMeter.Reading before = cpu.read();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 2; c++) {
                clients.add(Thread.ofPlatform().start(() -> runClient(pool, deadline, jobs)));
            }
            long start = System.nanoTime();
            for (Thread client : clients) {
                client.join();
            }
            rate = jobs.get() / ((System.nanoTime() - start) / 1e9);
            cpuUse = cpu.read().perThousandJobs(before, jobs.get(), "benchmark JVM");
        }
        context.server().drop(url);
        context.report().ceiling(rate);
        context.report().row("ceiling (plain SQL, batch " + BATCH + ", 2 connections)",
                Report.jobsPerS(rate) + "  cpu per 1,000 jobs: " + cpuUse);
        context.report().result("ceiling", "jobs_per_s=%.0f batch=%d", rate, BATCH);
    }

    private static void runClient(HikariDataSource pool, long deadline, AtomicLong jobs) {
        try (Connection c = pool.getConnection();
             PreparedStatement insert = c.prepareStatement(
                     "insert into ceiling_jobs(payload) select jsonb_build_object('n', g) from generate_series(1," + BATCH + ") g");
             PreparedStatement claim = c.prepareStatement("""
                     with c as (update ceiling_jobs set state = 1, attempt = attempt + 1, locked_by = 'w', locked_at = now()
                       where id in (select id from ceiling_jobs where state = 0 and queue = 'default' and run_at <= now()
                                    order by priority, run_at, id limit %d for update skip locked) returning id)
                     select coalesce(array_agg(id), '{}') from c""".formatted(BATCH));
             PreparedStatement delete = c.prepareStatement("delete from ceiling_jobs where id = any(?)")) {
            while (System.nanoTime() < deadline) {
                insert.executeUpdate();
                Array ids;
                try (ResultSet rs = claim.executeQuery()) {
                    rs.next();
                    ids = rs.getArray(1);
                }
                delete.setArray(1, ids);
                jobs.addAndGet(delete.executeUpdate());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the ceiling workload failed", e);
        }
    }
}
