package io.pgjobs.dashboard.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Not a test: how fast one node drains no-op jobs (16 workers), to weigh what the per-minute statistics CTE
 * in the completion statement costs. Enqueues the jobs, starts the node, and times until every job is
 * completed in the database; prints jobs/s per round. Run it on two builds to compare (see docs/dashboard.md).
 */
public final class DrainBenchmark {
    public static void main(String[] args) throws Exception {
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String external = System.getenv("PGJOBS_BENCH_JDBC_URL");
        try (EmbeddedPostgres pg = external == null ? EmbeddedPostgres.builder().setServerConfig("fsync", "off").start() : null;
             HikariDataSource dataSource = DashboardBenchmark.pool(external == null ? pg.getJdbcUrl("postgres", "postgres") : external, 24)) {
            Scheduler.builder(dataSource).build().migrate();
            for (int round = 1; round <= rounds; round++) {
                execute(dataSource, "truncate pgjobs.jobs, pgjobs.attempts, pgjobs.job_stats");
                try (Scheduler enqueuer = Scheduler.builder(dataSource).build()) {
                    List<JobRequest> batch = new ArrayList<>();
                    for (int i = 0; i < jobs; i++) {
                        batch.add(JobRequest.of("bench.noop", Map.of("i", i)));
                        if (batch.size() == 1000) {
                            enqueuer.client().enqueueAll(batch);
                            batch.clear();
                        }
                    }
                }
                execute(dataSource, "vacuum analyze pgjobs.jobs");
                long start = System.nanoTime();
                try (Scheduler worker = Scheduler.builder(dataSource).queue("default", 16)
                        .pollInterval(Duration.ofMillis(100)).handler("bench.noop", Map.class, ctx -> null).build()) {
                    worker.start();
                    while (completed(dataSource) < jobs) {
                        Thread.sleep(20); // only paces the progress poll; the figure is the time to the last completion
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("round %d: %,d jobs drained in %.2f s = %,.0f jobs/s%n", round, jobs, seconds, jobs / seconds);
            }
        }
    }

    private static long completed(HikariDataSource dataSource) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from pgjobs.jobs where state = 'completed'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void execute(HikariDataSource dataSource, String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private DrainBenchmark() {}
}
