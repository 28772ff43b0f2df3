package io.pgjobs.docs;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.pgjobs.Batch;
import io.pgjobs.BatchStatus;
import io.pgjobs.EnqueuedWorkflow;
import io.pgjobs.JobClient;
import io.pgjobs.JobContext;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.Schedule;
import io.pgjobs.ScheduleClient;
import io.pgjobs.Scheduler;
import io.pgjobs.SchedulerEvent;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.dashboard.DashboardAuth;
import io.pgjobs.dashboard.DashboardServlet;
import io.pgjobs.dashboard.DashboardUser;
import java.security.Principal;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The code snippets of README.md, docs/*.md and the public API's Javadoc, as compiled code: each region between
 * {@code // snippet <file>#<n>} and {@code // end snippet} is the n-th snippet of that file, line for line, which
 * {@link DocSnippetsTest} checks. Never run: the fields are what the snippets take as given.
 */
@SuppressWarnings("unused")
abstract class DocSnippets {
    interface Mailer {
        void send(String to);

        void send(String to, String subject);
    }

    record Order(long id, String email) {}

    interface Orders {
        void insert(Connection connection, Order order);
    }

    @JobKind("email.send")
    record SendEmail(String to) {}

    @JobKind("report.build")
    record BuildReport(String name) {}

    record Report(String name) {}

    interface Reports {
        Report build(BuildReport request);
    }

    interface Alerts {
        void page(SchedulerEvent.JobDiscarded event);
    }

    DataSource dataSource;
    Mailer mailer;
    Orders orders;
    Order order;
    Reports reports;
    Alerts alerts;
    JobClient client;
    JobClient jobs;
    Scheduler scheduler;
    MeterRegistry prometheusRegistry;
    OpenTelemetry openTelemetry;

    void readme() throws Exception {
        // snippet README.md#1
        @JobKind("email.send")                       // a stable name: renaming the class never breaks queued jobs
        record SendEmail(String to, String subject) {}

        Scheduler scheduler = Scheduler.builder(dataSource)   // your pooled DataSource (HikariCP, ...)
                .queue("default", 20)                          // up to 20 jobs of this queue at once on this node
                .handler(SendEmail.class, ctx -> {
                    mailer.send(ctx.args().to(), ctx.args().subject());
                    return null;                               // or a value, stored as the job's JSON result
                })
                .build();
        scheduler.start();                                     // applies migrations to schema "pgjobs", then works

        JobClient jobs = scheduler.client();
        try (Connection c = dataSource.getConnection()) {      // the job commits or rolls back with the order
            c.setAutoCommit(false);
            orders.insert(c, order);
            jobs.enqueue(c, JobRequest.of(new SendEmail(order.email(), "Thanks!"))
                    .idempotencyKey("order-confirmation-" + order.id())
                    .delay(Duration.ofMinutes(5)));
            c.commit();
        }

        // with jOOQ: dsl.transaction(tx -> jobs.enqueue(tx.dsl(), JobRequest.of(...)));
        // many at once: jobs.enqueueAll(List.of(...)) — one round trip
        scheduler.close();                                     // stop fetching, let jobs finish, put back the rest
        // end snippet
    }

    void guide() {
        // snippet docs/guide.md#1
        try {
            jobs.enqueueAll(List.of(JobRequest.of("report.build", Map.of("title", "Q3")),
                    JobRequest.of("report.build", Map.of("title", "Q3\u0000"))));
        } catch (IllegalArgumentException e) {
            // e.getMessage(): "requests[1]: args: contains the character U+0000 (...), which PostgreSQL cannot
            // store"; neither job was written
        }
        // end snippet
    }

    void cron() {
        // snippet docs/cron.md#1
        Scheduler scheduler = Scheduler.builder(dataSource)
                .queue("default", 10)
                .handler(BuildReport.class, ctx -> reports.build(ctx.args()))
                .schedule(Schedule.of("nightly-report", "0 2 * * *", JobRequest.of(new BuildReport("sales")))
                        .timeZone("Europe/Berlin")                       // default UTC
                        .misfire(Schedule.MisfirePolicy.FIRE_ONCE)       // the default
                        .overlap(Schedule.OverlapPolicy.SKIP))           // default ALLOW
                .build();
        scheduler.start();

        ScheduleClient schedules = scheduler.client().schedules();
        schedules.upsert(Schedule.of("cache-warmup", "every 5m", "cache.warm", Map.of("region", "eu")));
        schedules.pause("nightly-report");
        schedules.resume("nightly-report");
        schedules.triggerNow("nightly-report");                          // a job now, outside the timetable
        schedules.list();   // name, expression, description in words, zone, next and last fire, paused, policies
        schedules.delete("cache-warmup");
        // end snippet
    }

    void dashboard() {
        // snippet docs/dashboard.md#1
        // scheduler: your node, or one built only for its clients
        DashboardAuth auth = request -> {                   // who is asking? your app's authentication decides
            Principal p = request.getUserPrincipal();
            if (p == null) return null;                     // -> 401
            return new DashboardUser(p.getName(), request.isUserInRole("OPS")
                    ? DashboardUser.Role.OPERATOR : DashboardUser.Role.VIEWER);
        };
        DashboardServlet servlet = new DashboardServlet(scheduler, auth);   // its admin() and health()
        // Spring Boot: @Bean ServletRegistrationBean<DashboardServlet> jobs() { return new ServletRegistrationBean<>(servlet, "/ops/jobs/*"); }
        // Jetty 12:    context.addServlet(new ServletHolder(servlet), "/ops/jobs/*");
        // Tomcat:      Tomcat.addServlet(ctx, "pgjobs", servlet); ctx.addServletMappingDecoded("/ops/jobs/*", "pgjobs");
        // end snippet
    }

    void observability() {
        // snippet docs/observability.md#1
        Scheduler scheduler = Scheduler.builder(dataSource)
                .queue("default", 20)
                .handler(SendEmail.class, ctx -> { mailer.send(ctx.args().to()); return null; })
                .listener(event -> { if (event instanceof SchedulerEvent.JobDiscarded d) alerts.page(d); })
                .meterRegistry(prometheusRegistry)     // io.micrometer:micrometer-core
                .openTelemetry(openTelemetry)          // io.opentelemetry:opentelemetry-api
                .carryMdc("request_id", "tenant")
                .queueLagThreshold(Duration.ofMinutes(2))
                .build();
        // end snippet
    }

    void schedulerJavadoc() {
        // snippet scheduler-core/src/main/java/io/pgjobs/Scheduler.java#1
        Scheduler scheduler = Scheduler.builder(dataSource)
                .queue("default", 20)
                .handler(SendEmail.class, ctx -> {
                    mailer.send(ctx.args().to());
                    return null;                 // or a value, stored as the job's JSON result
                })
                .build();
        scheduler.start();                       // migrates the schema, then fetches and runs jobs
        scheduler.client().enqueue(new SendEmail("ada@example.com"));
        // end snippet
    }

    void jobRequestJavadoc() {
        // snippet scheduler-core/src/main/java/io/pgjobs/JobRequest.java#1
        client.enqueue(JobRequest.of(new SendEmail("ada@example.com"))
                .queue("email").priority(1).delay(Duration.ofMinutes(5)).idempotencyKey("welcome-42"));
        // end snippet
    }

    @JobKind("order.reserve") record Reserve(long orderId) {}
    @JobKind("order.charge") record Charge(long orderId) {}
    @JobKind("order.pack") record Pack(long orderId) {}
    @JobKind("order.ship") record Ship(long orderId) {}

    long orderId;
    Connection connection;
    JobContext<Ship> ctx;

    void workflows() throws Exception {
        // snippet docs/workflows.md#1
        @JobKind("order.reserve") record Reserve(long orderId) {}
        @JobKind("order.charge") record Charge(long orderId) {}
        @JobKind("order.pack") record Pack(long orderId) {}
        @JobKind("order.ship") record Ship(long orderId) {}

        Workflow order = Workflow.builder("order-" + orderId)
                .step("reserve", JobRequest.of(new Reserve(orderId)))
                .step("charge", JobRequest.of(new Charge(orderId)), "reserve")
                .step("pack", JobRequest.of(new Pack(orderId)), "reserve")
                .step("ship", JobRequest.of(new Ship(orderId)), "charge", "pack")   // runs after both
                .build();
        EnqueuedWorkflow enqueued = client.workflows().enqueue(connection, order); // commits with your transaction

        // in the "ship" handler: what its parents returned
        String parcel = ctx.parentResult("pack", String.class);

        WorkflowStatus status = client.workflows().await(enqueued.workflowId(), Duration.ofMinutes(5));
        // end snippet
    }

    void workflowJavadoc() {
        // snippet scheduler-core/src/main/java/io/pgjobs/Workflow.java#1
        Workflow order = Workflow.builder("order-" + orderId)
                .step("reserve", JobRequest.of(new Reserve(orderId)))
                .step("charge", JobRequest.of(new Charge(orderId)), "reserve")
                .step("pack", JobRequest.of(new Pack(orderId)), "reserve")
                .step("ship", JobRequest.of(new Ship(orderId)), "charge", "pack")
                .build();
        long id = client.workflows().enqueue(connection, order).workflowId();
        // end snippet
    }

    @JobKind("import.row") record ImportRow(long fileId, String row) {}
    @JobKind("import.done") record ImportDone(long fileId) {}
    @JobKind("import.failed") record ImportFailed(long fileId) {}
    @JobKind("import.report") record ImportReport(long fileId) {}

    long fileId;
    List<String> rows;
    List<JobRequest> firstRows;
    List<JobRequest> moreRows;

    void batches() {
        // snippet docs/workflows.md#2
        long batch = client.batches().create(Batch.builder("import-" + fileId)
                .onSuccess(JobRequest.of(new ImportDone(fileId)))
                .onComplete(JobRequest.of(new ImportReport(fileId)))
                .build());
        client.batches().add(batch, firstRows);        // or add(connection, batch, rows): in your transaction
        client.batches().add(batch, moreRows);
        client.batches().seal(batch);                  // no more jobs; callbacks may fire from now on
        BatchStatus status = client.batches().get(batch).orElseThrow();   // total, completed, discarded, cancelled
        // end snippet
    }

    void batchClientJavadoc() {
        // snippet scheduler-core/src/main/java/io/pgjobs/BatchClient.java#1
        long batch = client.batches().create(Batch.builder("import-" + fileId)
                .onSuccess(JobRequest.of(new ImportDone(fileId)))
                .onDiscard(JobRequest.of(new ImportFailed(fileId))).build());
        client.batches().add(batch, rows.stream().map(row -> JobRequest.of(new ImportRow(fileId, row))).toList());
        client.batches().seal(batch);
        // end snippet
    }

    void jobContextJavadoc() {
        // snippet scheduler-core/src/main/java/io/pgjobs/JobContext.java#2
        String parcel = ctx.parentResult("pack", String.class);
        // end snippet
    }

    void scheduleJavadoc() {
        // snippet scheduler-core/src/main/java/io/pgjobs/Schedule.java#1
        Schedule.of("nightly-report", "0 2 * * *", JobRequest.of(new BuildReport("sales")).queue("reports"))
                .timeZone("Europe/Berlin")
                .overlap(Schedule.OverlapPolicy.SKIP);
        // end snippet
    }
}
