package io.pgjobs.dashboard;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobRequest;
import io.pgjobs.NonRetryableException;
import io.pgjobs.Scheduler;
import io.pgjobs.SnoozeException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The dashboard to click around in: an embedded PostgreSQL, a node working three queues, a steady trickle of
 * jobs that succeed, retry, snooze or land in the dead letters, two schedules, and the dashboard on
 * http://localhost:8080/ (user {@code admin}/{@code admin} operates, {@code viewer}/{@code viewer} only looks).
 * Stop it with Ctrl-C. It lives with the dashboard's tests (it needs their embedded PostgreSQL); run it with
 * {@code ./mvnw -q -pl scheduler-dashboard -am test-compile exec:java@demo}.
 */
public final class DashboardDemo {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(System.getenv().getOrDefault("PGJOBS_DEMO_PORT", "8080"));
        EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
        config.setMaximumPoolSize(16);
        HikariDataSource dataSource = new HikariDataSource(config);
        Scheduler scheduler = Scheduler.builder(dataSource)
                .queue("default", 8).queue("payments", 2).queue("reports", 2)
                .pollInterval(Duration.ofMillis(500))
                .retryPolicy(attempt -> Duration.ofSeconds(5L * attempt))
                .handler("email.send", Map.class, ctx -> null)
                .handler("report.build", Map.class, ctx -> {
                    Thread.sleep(ThreadLocalRandom.current().nextLong(200, 2000)); // a report takes a while
                    if (ctx.attempt() < 2 && ThreadLocalRandom.current().nextInt(4) == 0) {
                        throw new IllegalStateException("warehouse busy, " + ThreadLocalRandom.current().nextInt(100) + " queries queued");
                    }
                    return Map.of("rows", ThreadLocalRandom.current().nextInt(1000));
                })
                .handler("card.charge", Map.class, ctx -> {
                    Object card = ctx.args().get("card");
                    if (String.valueOf(card).endsWith("0000")) {
                        throw new NonRetryableException("card " + card + " reported stolen");
                    }
                    if (ThreadLocalRandom.current().nextInt(3) == 0) {
                        throw new SnoozeException(Duration.ofSeconds(3));
                    }
                    return Map.of("charged", ctx.args().get("cents"));
                })
                .build();
        scheduler.start();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("insert into pgjobs.schedules (name, expression, time_zone, kind, args, queue) values "
                    + "('nightly-sales-report', '30 2 * * *', 'Europe/Lisbon', 'report.build', '{\"name\": \"sales\"}', 'reports'), "
                    + "('newsletter', '0 9 * * 1', 'America/New_York', 'email.send', '{\"to\": \"all\"}', 'default')");
        }
        ScheduledExecutorService feeder = Executors.newSingleThreadScheduledExecutor();
        feeder.scheduleAtFixedRate(() -> feed(scheduler), 0, 1, TimeUnit.SECONDS);
        DashboardServer server = DashboardServer.start(new DashboardServlet(scheduler,
                BasicAuth.parse("admin:admin:operator,viewer:viewer:viewer")), "127.0.0.1", port, "/");
        // No shutdown hook: everything lives in a throwaway embedded database, which stops with its own hook on
        // Ctrl-C; closing the scheduler from a hook of ours would race with it for the database.
        System.out.println("pgjobs dashboard demo at " + server.uri() + " (admin/admin operates, viewer/viewer looks)");
        Thread.currentThread().join();
    }

    /** A second's worth of work: a few emails, a report, a charge (one card in ten is stolen). */
    private static void feed(Scheduler scheduler) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<JobRequest> jobs = new ArrayList<>();
        for (int i = 0; i < random.nextInt(3, 12); i++) {
            jobs.add(JobRequest.of("email.send", Map.of("to", "user" + random.nextInt(1000) + "@example.com",
                    "customer_id", random.nextInt(50), "api_token", "secret-" + random.nextInt())).tags("marketing"));
        }
        jobs.add(JobRequest.of("report.build", Map.of("name", "daily-" + random.nextInt(30))).queue("reports"));
        String card = random.nextInt(10) == 0 ? "4111000000000000" : "4242" + random.nextInt(100_000, 999_999) + "424242";
        jobs.add(JobRequest.of("card.charge", Map.of("card", card, "cents", random.nextInt(100, 99_900),
                "customer_id", random.nextInt(50))).queue("payments").maxAttempts(3));
        scheduler.client().enqueueAll(jobs);
    }

    private DashboardDemo() {}
}
