package io.pgjobs.dashboard.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.Scheduler;
import io.pgjobs.dashboard.DashboardServer;
import io.pgjobs.dashboard.DashboardServlet;
import io.pgjobs.dashboard.DashboardUser;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Not a test: seeds 1,000,000 jobs of mixed states (a day of per-minute statistics and queue lag, and 50
 * schedules with 10 runs each) into an embedded PostgreSQL, then prints how long the dashboard's API takes to
 * answer over HTTP, end to end (query, JSON, network), as the median and 95th percentile of 30 calls after 5
 * warm-up calls, and how long the queue snapshot that the leader's queue lag sample reads takes without HTTP.
 * Run it with:
 *
 * <pre>
 * ./mvnw -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt \
 *   -Dmdep.includeScope=test -pl scheduler-dashboard -am
 * java -cp scheduler-dashboard/target/test-classes:scheduler-dashboard/target/classes:$(cat scheduler-dashboard/target/test-classpath.txt) \
 *   io.pgjobs.dashboard.bench.DashboardBenchmark 1000000
 * </pre>
 */
public final class DashboardBenchmark {
    private static final int WARM_UP = 5;
    private static final int RUNS = 30;

    public static void main(String[] args) throws Exception {
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        // PGJOBS_BENCH_JDBC_URL runs it against another server (its pgjobs schema is emptied first)
        String external = System.getenv("PGJOBS_BENCH_JDBC_URL");
        try (EmbeddedPostgres pg = external == null ? EmbeddedPostgres.builder().setServerConfig("fsync", "off").start() : null;
             HikariDataSource dataSource = pool(external == null ? pg.getJdbcUrl("postgres", "postgres") : external, 8)) {
            Scheduler scheduler = Scheduler.builder(dataSource).build();
            scheduler.migrate();
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.execute("truncate pgjobs.jobs, pgjobs.attempts, pgjobs.job_stats, pgjobs.queue_lag, pgjobs.schedules,"
                        + " pgjobs.schedule_runs restart identity");
            }
            long seedStart = System.nanoTime();
            seed(dataSource, jobs);
            System.out.printf("seeded %,d jobs in %.1f s%n", jobs, (System.nanoTime() - seedStart) / 1e9);
            printStates(dataSource);
            long midId = jobs / 2;
            try (DashboardServer server = DashboardServer.start(new DashboardServlet(scheduler,
                    request -> new DashboardUser("bench", DashboardUser.Role.VIEWER)), "127.0.0.1", 0, "/")) {
                Map<String, String> calls = new LinkedHashMap<>();
                calls.put("overview (last hour)", "api/overview");
                calls.put("overview (last day)", "api/overview?span=day");
                calls.put("queues", "api/queues");
                calls.put("jobs, newest page", "api/jobs?limit=50");
                calls.put("jobs, page in the middle", "api/jobs?limit=50&before=" + midId);
                calls.put("filter state=discarded", "api/jobs?state=discarded&limit=50");
                calls.put("filter state=retryable", "api/jobs?state=retryable&limit=50");
                calls.put("filter queue + kind", "api/jobs?queue=q3&kind=kind.8&limit=50");
                calls.put("filter queue + kind, no match", "api/jobs?queue=q3&kind=kind.7&limit=50");
                calls.put("filter tag", "api/jobs?tag=vip&limit=50");
                calls.put("filter args customer_id = 42", "api/jobs?args=customer_id%20%3D%2042&limit=50");
                calls.put("filter discarded + args", "api/jobs?state=discarded&args=plan%20%3D%20pro&limit=50");
                calls.put("filter finished in last hour", "api/jobs?state=completed&finishedFrom="
                        + java.time.Instant.now().minusSeconds(3600) + "&limit=50");
                calls.put("count discarded (bulk preview)", "api/jobs/count?state=discarded");
                calls.put("count args customer_id = 42", "api/jobs/count?args=customer_id%20%3D%2042");
                calls.put("dead letters grouped", "api/dead-letters");
                calls.put("job detail", "api/jobs/" + midId);
                calls.put("schedules with recent runs", "api/schedules");
                HttpClient http = HttpClient.newHttpClient();
                System.out.printf("%-34s %10s %10s%n", "call", "median ms", "p95 ms");
                for (var call : calls.entrySet()) {
                    double[] ms = time(http, server.uri() + call.getValue());
                    System.out.printf("%-34s %10.1f %10.1f%n", call.getKey(), ms[RUNS / 2], ms[(int) Math.ceil(RUNS * 0.95) - 1]);
                }
                double[] sample = timeQueueSnapshot(scheduler);
                System.out.printf("%-34s %10.1f %10.1f%n", "queue snapshot (admin, no HTTP)", sample[RUNS / 2],
                        sample[(int) Math.ceil(RUNS * 0.95) - 1]);
            }
        }
    }

    private static double[] time(HttpClient http, String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(java.net.URI.create(url)).GET().build();
        double[] ms = new double[RUNS];
        for (int i = -WARM_UP; i < RUNS; i++) {
            long start = System.nanoTime();
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            double elapsed = (System.nanoTime() - start) / 1e6;
            if (response.statusCode() != 200) {
                throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + new String(response.body()));
            }
            if (i >= 0) {
                ms[i] = elapsed;
            }
        }
        Arrays.sort(ms);
        return ms;
    }

    /**
     * The queue snapshot that the leader's queue lag sample (QueueLagSampler, every 15 s) upserts into queue_lag,
     * a few rows, read through {@code admin().queues()} (the same snapshot joined to the queues' settings)
     * without HTTP and JSON: the sampler is not an endpoint.
     */
    private static double[] timeQueueSnapshot(Scheduler scheduler) {
        double[] ms = new double[RUNS];
        for (int i = -WARM_UP; i < RUNS; i++) {
            long start = System.nanoTime();
            scheduler.admin().queues();
            if (i >= 0) {
                ms[i] = (System.nanoTime() - start) / 1e6;
            }
        }
        Arrays.sort(ms);
        return ms;
    }

    /**
     * One INSERT ... SELECT over generate_series: ids ascend with creation time over the last ~12 days; 90%
     * completed, 3% discarded, 1% each cancelled, retryable, scheduled and running, 3% available; 5 queues,
     * 10 kinds, 5,000 customers. Then a day of per-minute statistics, as the completion statement would write, a
     * day of queue lag samples, as the leader would write, and 50 schedules with 10 runs each, whose jobs lie
     * anywhere in the table.
     */
    private static void seed(HikariDataSource dataSource, int jobs) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("set synchronous_commit = off");
            s.execute("""
                    insert into pgjobs.jobs (kind, queue, state, priority, run_at, attempt, max_attempts, args, tags,
                                             created_at, started_at, finished_at, node_id, lease_expires_at, last_error)
                    select 'kind.' || (i % 10), 'q' || (i % 5), st.state, i % 10,
                           created + interval '1 second', 1, 20,
                           jsonb_build_object('customer_id', i % 5000, 'plan', case when i % 3 = 0 then 'pro' else 'free' end,
                                              'order', i),
                           case when i % 50 = 0 then array['vip'] else array[]::text[] end,
                           created, created + interval '1 second',
                           case when st.state in ('completed', 'discarded', 'cancelled') then created + interval '2 seconds' end,
                           case when st.state = 'running' then 'node-' || (i % 4) end,
                           case when st.state = 'running' then now() + interval '30 seconds' end,
                           case when st.state in ('discarded', 'retryable')
                                then (array['java.io.IOException: connection to 10.0.' || (i % 250) || '.7 refused',
                                            'java.lang.IllegalStateException: order ' || i || ' has no lines',
                                            'com.acme.PaymentDeclined: card declined (code ' || (i % 90) || ')'])[1 + i % 3] end
                    from generate_series(1, ?) i,
                         lateral (select now() - (? - i) * interval '1 second' as created) t,
                         lateral (select case when i % 100 < 90 then 'completed' when i % 100 < 93 then 'discarded'
                                              when i % 100 = 93 then 'cancelled' when i % 100 = 94 then 'retryable'
                                              when i % 100 = 95 then 'scheduled' when i % 100 = 96 then 'running'
                                              else 'available' end as state) st
                    """.replace("?", String.valueOf(jobs)));
            s.execute("update pgjobs.jobs set run_at = now() + interval '1 hour' where state = 'scheduled'");
            s.execute("""
                    insert into pgjobs.job_stats (minute, queue, kind, state, jobs, duration_ms)
                    select date_trunc('minute', now()) - m * interval '1 minute', 'q' || q, 'kind.' || k, st,
                           case st when 'completed' then 60 else 2 end, 600
                    from generate_series(0, 1439) m, generate_series(0, 4) q, generate_series(0, 9) k,
                         unnest(array['completed', 'retryable', 'discarded']) st
                    """);
            s.execute("""
                    insert into pgjobs.queue_lag (minute, queue, lag_ms, waiting, running)
                    select date_trunc('minute', now()) - m * interval '1 minute', 'q' || q, (m * 37 + q * 1000) % 90000,
                           (m * 13) % 10001, q
                    from generate_series(0, 1439) m, generate_series(0, 4) q
                    """);
            s.execute("""
                    insert into pgjobs.schedules (name, expression, time_zone, kind, queue)
                    select 'schedule-' || n, (n % 60) || ' */2 * * *', 'Europe/Lisbon', 'kind.' || (n % 10), 'q' || (n % 5)
                    from generate_series(1, 50) n
                    """);
            s.execute("""
                    insert into pgjobs.schedule_runs (schedule, job_id, fire_time, manual)
                    select 'schedule-' || n, (n * 19997 + r * 99991) % ? + 1, now() - r * interval '2 hours', r = 3
                    from generate_series(1, 50) n, generate_series(1, 10) r
                    """.replace("?", String.valueOf(jobs)));
            s.execute("vacuum analyze pgjobs.jobs");
            s.execute("vacuum analyze pgjobs.job_stats");
            s.execute("vacuum analyze pgjobs.queue_lag");
            s.execute("vacuum analyze pgjobs.schedule_runs");
        }
    }

    private static void printStates(HikariDataSource dataSource) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select state, count(*) from pgjobs.jobs group by state order by 2 desc")) {
            StringBuilder line = new StringBuilder("states:");
            while (rs.next()) {
                line.append(String.format(" %s=%,d", rs.getString(1), rs.getLong(2)));
            }
            System.out.println(line);
        }
    }

    static HikariDataSource pool(String url, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(size);
        return new HikariDataSource(config);
    }

    private DashboardBenchmark() {}
}
