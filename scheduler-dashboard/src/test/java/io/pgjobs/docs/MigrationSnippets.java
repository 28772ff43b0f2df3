package io.pgjobs.docs;

import io.pgjobs.JobClient;
import io.pgjobs.JobContext;
import io.pgjobs.JobHandler;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.Schedule;
import io.pgjobs.Scheduler;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The pgjobs side of the migration guides (docs/migrating-from-*.md), as compiled code, checked line for line by
 * {@link DocSnippetsTest} like {@link DocSnippets}. The other libraries' code in those pages is fenced
 * {@code ```java quartz} (and so on): shown, not compiled. Never run: the fields are what the snippets take as
 * given.
 */
@SuppressWarnings("unused")
abstract class MigrationSnippets {
    interface Reports {
        void send(String customer);
    }

    interface Billing {
        void charge(long invoiceId);
    }

    interface Invoices {
        long insert(Connection tx, String customer, long cents) throws SQLException;
    }

    interface Emails {
        void sendWelcome(long userId);
    }

    DataSource dataSource;
    Reports reports;
    Billing billing;
    Invoices invoices;
    Emails emails;
    JobClient client;
    String customer;
    long cents;
    Instant dueAt;
    long userId;
    LocalDate reportDate;

    void quartz() {
        // snippet docs/migrating-from-quartz.md#1
            @JobKind("report.send")
            record SendReport(String customer) {}

            Scheduler scheduler = Scheduler.builder(dataSource)
                    .queue("default", 4)
                    .handler(SendReport.class, ctx -> {
                        reports.send(ctx.args().customer());
                        return null;
                    })
                    .schedule(Schedule.of("nightly-report", "0 2 * * *", JobRequest.of(new SendReport("acme")))
                            .timeZone("Europe/Lisbon"))
                    .build();
            scheduler.start();

            // one run in ten minutes, at most once per customer and report date
            scheduler.client().enqueue(JobRequest.of(new SendReport("acme"))
                    .delay(Duration.ofMinutes(10))
                    .idempotencyKey("report-acme-" + reportDate));
        // end snippet
    }

    void dbScheduler() throws SQLException {
        // snippet docs/migrating-from-db-scheduler.md#1
            @JobKind("invoice.charge")
            record ChargeInvoice(long invoiceId) {}

            Scheduler scheduler = Scheduler.builder(dataSource)
                    .queue("billing", 8)
                    .handler(ChargeInvoice.class, ctx -> {
                        billing.charge(ctx.args().invoiceId());
                        return null;
                    })
                    .schedule(Schedule.of("dunning", "*/15 * * * *", "invoice.dunning", Map.of()))
                    .build();
            scheduler.start();

            try (Connection tx = dataSource.getConnection()) {
                tx.setAutoCommit(false);
                long invoiceId = invoices.insert(tx, customer, cents);
                scheduler.client().enqueue(tx, JobRequest.of(new ChargeInvoice(invoiceId))
                        .runAt(dueAt)
                        .idempotencyKey("charge-" + invoiceId));
                tx.commit();
            }
        // end snippet
    }

    void jobRunr() {
        // snippet docs/migrating-from-jobrunr.md#1
            @JobKind("email.welcome")
            record SendWelcomeEmail(long userId) {}

            class WelcomeEmailHandler implements JobHandler<SendWelcomeEmail> {
                public Object handle(JobContext<SendWelcomeEmail> ctx) {
                    emails.sendWelcome(ctx.args().userId());
                    return null;
                }
            }

            client.enqueue(JobRequest.of(new SendWelcomeEmail(userId)).maxAttempts(10));
            client.enqueue(JobRequest.of(new SendWelcomeEmail(userId)).delay(Duration.ofHours(1)));
            client.schedules().upsert(Schedule.of("purge-sessions", "0 3 * * *", "sessions.purge", Map.of()));
        // end snippet
    }
}
