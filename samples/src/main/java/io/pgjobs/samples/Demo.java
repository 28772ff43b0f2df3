package io.pgjobs.samples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.Job;
import io.pgjobs.JobClient;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.NonRetryableException;
import io.pgjobs.Schedule;
import io.pgjobs.Scheduler;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The README's demo: an embedded PostgreSQL, a scheduler with three kinds of job, and a running account of what
 * happens to them: an order confirmed in the same transaction as its job, a flaky job that succeeds on retry, a
 * doomed one that lands in the dead-letter state, a delayed one, and a cron schedule firing every two seconds.
 * Needs nothing but a JDK.
 */
public final class Demo {

    @JobKind("email.send")
    public record SendEmail(String to, String subject) {}

    @JobKind("report.build")
    public record BuildReport(String name) {}

    @JobKind("card.charge")
    public record ChargeCard(String card, long cents) {}

    @JobKind("stats.refresh")
    public record RefreshStats(String dashboard) {}

    public static void main(String[] args) throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
             HikariDataSource dataSource = pool(pg.getJdbcUrl("postgres", "postgres"))) {
            say("embedded PostgreSQL is up at " + pg.getJdbcUrl("postgres", "postgres"));
            try (Scheduler scheduler = Scheduler.builder(dataSource)
                    .queue("default", 8)
                    .queue("payments", 2)
                    .pollInterval(Duration.ofMillis(200))
                    .retryPolicy(attempt -> Duration.ofMillis(300L * attempt))
                    .handler(SendEmail.class, ctx -> {
                        say("  email to " + ctx.args().to() + ": '" + ctx.args().subject() + "' sent (job " + ctx.jobId() + ")");
                        return null;
                    })
                    .handler(BuildReport.class, ctx -> {
                        if (ctx.attempt() < 3) {
                            say("  report " + ctx.args().name() + ": attempt " + ctx.attempt() + " failed, will retry");
                            throw new IllegalStateException("warehouse busy");
                        }
                        say("  report " + ctx.args().name() + ": built on attempt " + ctx.attempt());
                        return new ReportResult(ThreadLocalRandom.current().nextInt(100, 999));
                    })
                    .handler(ChargeCard.class, ctx -> {
                        say("  charging card " + ctx.args().card() + ": declined (attempt " + ctx.attempt() + " of "
                                + ctx.maxAttempts() + ")");
                        if (ctx.args().card().endsWith("0000")) {
                            throw new NonRetryableException("card reported stolen");
                        }
                        throw new IllegalStateException("card declined");
                    })
                    .handler(RefreshStats.class, ctx -> {
                        say("  cron '" + ctx.metadata().get("pgjobs.schedule") + "' fired for "
                                + ctx.metadata().get("pgjobs.fire_time") + ": refreshing " + ctx.args().dashboard());
                        return null;
                    })
                    // a durable schedule, created at start (or updated, never duplicated): every 2 seconds
                    .schedule(Schedule.of("stats-every-2s", "every 2s", JobRequest.of(new RefreshStats("sales"))))
                    .build()) {
                scheduler.start();
                JobClient client = scheduler.client();
                List<Long> ids = new ArrayList<>();

                say("placing order 1001 and its confirmation email in one transaction");
                try (Connection c = dataSource.getConnection()) {
                    c.setAutoCommit(false);
                    try (Statement s = c.createStatement()) {
                        s.execute("create table orders (id int primary key, total_cents bigint)");
                        s.execute("insert into orders values (1001, 4200)");
                    }
                    ids.add(client.enqueue(c, JobRequest.of(new SendEmail("ada@example.com", "Order 1001 confirmed"))).id());
                    c.commit();
                }
                ids.add(client.enqueue(JobRequest.of(new SendEmail("grace@example.com", "Your weekly digest"))
                        .delay(Duration.ofSeconds(2))).id());
                say("enqueued a digest email delayed by 2 s");
                ids.add(client.enqueue(new BuildReport("monthly-sales")).id());
                ids.add(client.enqueue(JobRequest.of(new ChargeCard("4111-1111", 4200)).queue("payments").maxAttempts(3)).id());
                ids.add(client.enqueue(JobRequest.of(new ChargeCard("4000-0000", 999)).queue("payments")).id());
                var again = client.enqueue(JobRequest.of(new SendEmail("ada@example.com", "Order 1001 confirmed"))
                        .idempotencyKey("order-1001-confirmation"));
                var dup = client.enqueue(JobRequest.of(new SendEmail("ada@example.com", "Order 1001 confirmed"))
                        .idempotencyKey("order-1001-confirmation"));
                ids.add(again.id());
                say("idempotency key enqueued twice: job " + again.id() + ", then duplicate=" + dup.duplicate()
                        + " with the same id " + dup.id());

                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!ids.stream().allMatch(id -> client.get(id).orElseThrow().state().isFinished())
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                say("schedules: " + client.schedules().list().stream()
                        .map(s -> s.name() + " (" + s.description() + ", next " + s.nextFireAt() + ")").toList());
                say("final states:");
                for (long id : ids) {
                    Job job = client.get(id).orElseThrow();
                    System.out.printf("  job %-3d %-13s %-10s attempts=%d/%d%s%n", job.id(), job.kind(),
                            job.state().dbName(), job.attempt(), job.maxAttempts(),
                            job.lastError() == null ? "" : "  last error: " + job.lastError());
                }
            }
            say("scheduler closed; bye");
        }
    }

    record ReportResult(int rows) {}

    static HikariDataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(16);
        config.setPoolName("demo");
        return new HikariDataSource(config);
    }

    private static void say(String line) {
        System.out.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " " + line);
    }

    private Demo() {}
}
