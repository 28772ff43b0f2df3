package io.pgjobs.docs;

import static io.pgjobs.JobState.AVAILABLE;
import static io.pgjobs.JobState.COMPLETED;
import static io.pgjobs.JobState.RETRYABLE;
import static io.pgjobs.JobState.RUNNING;
import static io.pgjobs.JobState.SCHEDULED;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.Batch;
import io.pgjobs.BatchStatus;
import io.pgjobs.CircuitBreaker;
import io.pgjobs.EnqueuedWorkflow;
import io.pgjobs.Job;
import io.pgjobs.JobClient;
import io.pgjobs.JobContext;
import io.pgjobs.JobFailedException;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.OrderedKeys;
import io.pgjobs.PartitionKey;
import io.pgjobs.QueueFullException;
import io.pgjobs.RateLimit;
import io.pgjobs.Schedule;
import io.pgjobs.ScheduleClient;
import io.pgjobs.Scheduler;
import io.pgjobs.SchedulerEvent;
import io.pgjobs.Uniqueness;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.admin.AdminClient;
import io.pgjobs.admin.BatchFilter;
import io.pgjobs.admin.BatchPage;
import io.pgjobs.admin.PageRequest;
import io.pgjobs.admin.QueueFlowState;
import io.pgjobs.admin.UnhandledKind;
import io.pgjobs.admin.WorkflowDetail;
import io.pgjobs.admin.WorkflowFilter;
import io.pgjobs.admin.WorkflowPage;
import io.pgjobs.admin.WorkflowSummary;
import io.pgjobs.dashboard.DashboardAuth;
import io.pgjobs.dashboard.DashboardServlet;
import io.pgjobs.dashboard.DashboardUser;
import java.security.Principal;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.slf4j.Logger;

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

    interface Notifier {
        Object statusChanged(long orderId, String status);
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
    Notifier notifier;
    Logger log;

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
        schedules.list();   // name, expression, description in words, zone, next fire times, last fire, paused,
                            // policies, recent runs (the same ScheduleInfo as admin().schedules() and the dashboard)
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

    void productionStartTimeout() {
        // snippet docs/production.md#1
        Scheduler scheduler = Scheduler.builder(dataSource)
                .queue("default", 8)
                .startTimeout(Duration.ofMinutes(2)) // default 60 s; zero tries once
                .build();
        scheduler.start(); // waits up to two minutes for the database, then throws
        // end snippet
    }

    void productionTls() {
        // snippet docs/production.md#2
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:postgresql://db.internal:5432/app?sslmode=verify-full&sslrootcert=/etc/pgjobs/ca.crt");
        Scheduler scheduler = Scheduler.builder(new HikariDataSource(config)).queue("default", 8).build();
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

    long tripId;

    void sagas() throws Exception {
        // snippet docs/workflows.md#3
        @JobKind("trip.book-flight") record BookFlight(long tripId) {}
        @JobKind("trip.cancel-flight") record CancelFlight(long tripId) {}
        @JobKind("trip.book-hotel") record BookHotel(long tripId) {}
        @JobKind("trip.cancel-hotel") record CancelHotel(long tripId) {}
        @JobKind("trip.notify") record Notify(long tripId) {}

        Workflow trip = Workflow.saga("trip-" + tripId)
                .compensatedStep("flight", JobRequest.of(new BookFlight(tripId)), JobRequest.of(new CancelFlight(tripId)))
                .compensatedStep("hotel", JobRequest.of(new BookHotel(tripId)), JobRequest.of(new CancelHotel(tripId)),
                        "flight")
                .step("notify", JobRequest.of(new Notify(tripId)), "hotel")      // nothing to undo
                .build();
        long id = client.workflows().enqueue(connection, trip).workflowId();   // in your transaction, as any workflow

        // the compensation's handler reads what the step it undoes was given and returned
        String booking = ctx.compensatedResult(String.class);
        BookFlight booked = ctx.compensatedArgs(BookFlight.class);

        WorkflowStatus status = client.workflows().await(id, Duration.ofMinutes(5));
        status.sagaState();   // COMPLETED, COMPENSATED or COMPENSATION_FAILED once it has ended
        status.step("flight").orElseThrow().compensation();   // its kind, and once due its job's id and state
        // end snippet
    }

    @JobKind("trip.book-flight") record BookFlight(long tripId) {}
    @JobKind("trip.cancel-flight") record CancelFlight(long tripId) {}
    @JobKind("trip.book-hotel") record BookHotel(long tripId) {}
    @JobKind("trip.cancel-hotel") record CancelHotel(long tripId) {}
    @JobKind("trip.notify") record Notify(long tripId) {}

    void sagaJavadoc() {
        // snippet scheduler-core/src/main/java/io/pgjobs/Workflow.java#2
        Workflow trip = Workflow.saga("trip-" + tripId)
                .compensatedStep("flight", JobRequest.of(new BookFlight(tripId)), JobRequest.of(new CancelFlight(tripId)))
                .compensatedStep("hotel", JobRequest.of(new BookHotel(tripId)), JobRequest.of(new CancelHotel(tripId)),
                        "flight")
                .step("notify", JobRequest.of(new Notify(tripId)), "hotel")
                .build();
        // end snippet
    }

    void compensationJavadoc() {
        // snippet scheduler-core/src/main/java/io/pgjobs/JobContext.java#3
        String booking = ctx.compensatedResult(String.class);   // what the step being undone returned
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

    void operatingWorkflows() {
        // snippet docs/workflows.md#4
        AdminClient admin = scheduler.admin();
        WorkflowPage failed = admin.workflows(WorkflowFilter.ofState(WorkflowStatus.State.FAILED), PageRequest.first(50));
        for (WorkflowSummary w : failed.workflows()) {
            WorkflowDetail detail = admin.workflow(w.id()).orElseThrow();   // steps, edges, attempts, durations
            admin.retryWorkflow("alice", w.id());                            // audited as retry_workflow
        }
        BatchPage open = admin.batches(new BatchFilter(BatchFilter.BatchState.OPEN, "import-", null, null),
                PageRequest.first(50));
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

    void readmeClientOnly() {
        @JobKind("email.send")
        record SendEmail(String to, String subject) {}

        // snippet README.md#2
        JobClient jobs = Scheduler.builder(dataSource).buildClient();
        jobs.enqueue(JobRequest.of(new SendEmail("ada@example.com", "Welcome")));
        // end snippet
    }

    void guideClientOnly() {
        @JobKind("email.send")
        record SendEmail(String to, String subject) {}

        // snippet docs/guide.md#2
        JobClient jobs = Scheduler.builder(dataSource)       // the same settings: schema, serializer, listeners, ...
                .buildClient();                              // applies the migrations first (once per process)
        jobs.enqueue(JobRequest.of(new SendEmail("ada@example.com", "Welcome")));
        // end snippet
    }

    void cronNextFireTimes() {
        // snippet docs/cron.md#2
        Schedule payroll = Schedule.of("payroll", "0 0 12 31W * ?", "payroll.run", Map.of()).timeZone("Europe/Berlin");
        payroll.nextFireTimes(Instant.parse("2025-05-01T00:00:00Z"), 3);
        // [2025-05-30T10:00:00Z (the 31st is a Saturday), 2025-07-31T10:00:00Z (June has no 31st),
        //  2025-08-29T10:00:00Z (the 31st is a Sunday and the month's last day)]
        // end snippet
    }

    void scheduleNextFireTimesJavadoc() {
        // snippet scheduler-core/src/main/java/io/pgjobs/Schedule.java#2
        Schedule payroll = Schedule.of("payroll", "0 0 12 31W * ?", "payroll.run", Map.of()).timeZone("Europe/Berlin");
        assertThat(payroll.nextFireTimes(Instant.parse("2025-05-01T00:00:00Z"), 3)).containsExactly(
                Instant.parse("2025-05-30T10:00:00Z"),   // the 31st is a Saturday: Friday the 30th
                Instant.parse("2025-07-31T10:00:00Z"),   // June has no 31st: no fire
                Instant.parse("2025-08-29T10:00:00Z"));  // the 31st is a Sunday, the month's last day: Friday
        // end snippet
    }

    void unhandledKinds() {
        // snippet docs/observability.md#2
        for (UnhandledKind u : scheduler.admin().unhandledKinds()) {
            log.warn("{} jobs of {} in queue {} have no live node", u.jobs(), u.kind(), u.queue());
        }
        // end snippet
    }

    void sqlEnqueue() {
        // snippet docs/sql-enqueue.md#1
        @JobKind("order.status-changed")
        record StatusChanged(long orderId, String status) {}

        Scheduler.builder(dataSource).queue("default", 10)
                .handler(StatusChanged.class, ctx -> notifier.statusChanged(ctx.args().orderId(), ctx.args().status()))
                .build().start();
        // end snippet
    }

    /** docs/flow-control.md and the Javadoc of the flow-control API: their own jobs and collaborators. */
    abstract static class FlowControl {
        @JobKind("report.build")
        record BuildReport(long customerId, String month) {
            BuildReport(long customerId) {
                this(customerId, null);
            }
        }

        @JobKind("report.rebuild")
        record Rebuild(long customerId) {}

        @JobKind("ledger.post")
        record Post(String account, long amount) {}

        @JobKind("partner.call")
        record CallPartner(String request) {}

        @JobKind("webhook.deliver")
        record DeliverWebhook(String tenant, String event) {}

        @JobKind("digest.send")
        record SendDigest(long teamId) {}

        @JobKind("customers.export")
        record ExportCustomers() {}

        @JobKind("invoice.render")
        record RenderInvoice(long orderId) {}

        interface Reports {
            Object build(BuildReport request);
        }

        interface Ledger {
            Object post(Post post);
        }

        interface Partner {
            Object call(CallPartner request);
        }

        interface Endpoints {
            Object post(DeliverWebhook webhook);
        }

        interface Exporter {
            void writePage(int page);
        }

        DataSource dataSource;
        JobClient client;
        Scheduler scheduler;
        Reports reports;
        Ledger ledger;
        Partner partner;
        Endpoints endpoints;
        Exporter exporter;
        JobContext<ExportCustomers> ctx;
        long customerId;
        String month;
        String account;
        long amount;
        long teamId;
        long orderId;
        int pages;
        long id;

        abstract void respond(String json);

        abstract void export(int page);

        void limits() {
            // snippet docs/flow-control.md#1
            Scheduler scheduler = Scheduler.builder(dataSource)
                    .queue("reports", 10)                                           // per node, as always
                    .queueLimit("reports", 5)                                       // at most 5 running in the cluster
                    .partitionLimit("reports", PartitionKey.args("customerId"), 1)  // and at most 1 per customer
                    .handler(BuildReport.class, ctx -> reports.build(ctx.args()))
                    .build();

            client.enqueue(JobRequest.of(new BuildReport(42, "2026-11")).queue("reports"));
            client.enqueue(JobRequest.of(new Rebuild(42)).queue("reports").partitionKey("42")); // an explicit key
            // end snippet
        }

        void longPartitionValues() {
            // snippet docs/flow-control.md#2
            Scheduler profiles = Scheduler.builder(dataSource)
                    .queue("reports", 10)
                    .partitionLimit("reports", PartitionKey.args("customer"), 1)   // args.customer may be a whole profile
                    .handler(BuildReport.class, ctx -> reports.build(ctx.args()))
                    .build();
            // a job whose args.customer is 4,000 characters long gets the partition "sha256:" + 64 hex digits (71 characters),
            // which every job with the same 4,000 characters shares: one of them runs at a time
            // end snippet
        }

        void orderedKeys() {
            // snippet docs/flow-control.md#3
            Scheduler scheduler = Scheduler.builder(dataSource)
                    .queue("ledger", 10)
                    .orderedKeys("ledger", OrderedKeys.BLOCK_WHEN_DISCARDED)   // or MOVE_ON_WHEN_DISCARDED
                    .handler(Post.class, ctx -> ledger.post(ctx.args()))
                    .build();

            client.enqueue(JobRequest.of(new Post(account, amount)).queue("ledger").orderingKey("account-" + account));
            // end snippet
        }

        void rateLimit() {
            // snippet docs/flow-control.md#4
            Scheduler scheduler = Scheduler.builder(dataSource)
                    .queue("api", 10)
                    .rateLimit("api", RateLimit.of(100, Duration.ofMinutes(1)))            // one start every 600 ms
                    // or, per tenant, letting up to 5 start at once after a quiet spell:
                    // .rateLimit("api", RateLimit.of(100, Duration.ofMinutes(1)).burst(5).perPartition(PartitionKey.args("tenant")))
                    .build();
            // end snippet
        }

        void circuitBreaker() {
            // snippet docs/flow-control.md#5
            Scheduler scheduler = Scheduler.builder(dataSource)
                    .queue("default", 20)
                    .handler(CallPartner.class, ctx -> partner.call(ctx.args()))
                    .circuitBreaker("partner.call", CircuitBreaker.afterConsecutiveFailures(5).coolDown(Duration.ofMinutes(1)))
                    // or: CircuitBreaker.afterFailureRate(0.5, 20, Duration.ofMinutes(1)).orConsecutiveFailures(10)
                    .build();

            scheduler.admin().circuits();                                          // state, counts, reason, probe
            scheduler.admin().openCircuit("alice", "partner.call", Duration.ofMinutes(10));  // audited
            scheduler.admin().closeCircuit("alice", "partner.call");               // claimed again, counts from zero
            scheduler.admin().resetCircuit("alice", "partner.call");               // forgotten, as if it never counted
            // end snippet
        }

        void circuitBreakerPerPartition() {
            // snippet docs/flow-control.md#6
            Scheduler scheduler = Scheduler.builder(dataSource)
                    .queue("webhooks", 20)
                    .handler(DeliverWebhook.class, ctx -> endpoints.post(ctx.args()))
                    .circuitBreaker("webhook.deliver", CircuitBreaker.afterConsecutiveFailures(5)
                            .coolDown(Duration.ofMinutes(1))
                            .perPartition(PartitionKey.args("tenant")))         // one circuit per args.tenant
                    .build();

            scheduler.admin().partitionCircuits();                                          // the partitions not closed
            scheduler.admin().openPartitionCircuit("alice", "webhook.deliver", "acme", Duration.ofMinutes(10)); // audited
            scheduler.admin().closePartitionCircuit("alice", "webhook.deliver", "acme");
            scheduler.admin().resetPartitionCircuit("alice", "webhook.deliver", "acme");
            // end snippet
        }

        void backpressure() {
            // snippet docs/flow-control.md#7
            // on the nodes that work the queue: written to the database when they start
            Scheduler workers = Scheduler.builder(dataSource).queue("reports", 8)
                    .queueMaxDepth("reports", 10_000)
                    .handler(BuildReport.class, ctx -> reports.build(ctx.args()))
                    .build();

            // in an application that only enqueues: the maximum holds there too
            try {
                client.enqueue(JobRequest.of(new BuildReport(customerId)).queue("reports"));
            } catch (QueueFullException e) {
                // e.queue(), e.depth(), e.maxDepth(): answer 503, retry later...
            }

            // or let the client wait for room, up to a limit, before it throws
            Scheduler.builder(dataSource).enqueueWaitWhenFull(Duration.ofSeconds(5));
            // end snippet
        }

        void uniqueness() {
            // snippet docs/flow-control.md#8
            // one report.build per customer while one is waiting or running
            client.enqueue(JobRequest.of(new BuildReport(customerId, month))
                    .unique(Uniqueness.byArgs("customerId").whileUnfinished()));

            // at most one digest per hour (finished digests count too)
            client.enqueue(JobRequest.of(new SendDigest(teamId)).unique(Uniqueness.byArgs().period(Duration.ofHours(1))));

            // completed jobs count, failed ones do not
            Uniqueness.byArgs("orderId").whileIn(SCHEDULED, AVAILABLE, RUNNING, RETRYABLE, COMPLETED);
            // end snippet
        }

        void checkpoints() {
            // snippet docs/flow-control.md#9
            scheduler = Scheduler.builder(dataSource).queue("exports", 4)
                    .handler(ExportCustomers.class, ctx -> {
                        int from = ctx.checkpointAs(Integer.class).orElse(0);   // 0 on the first attempt
                        for (int page = from; page < pages; page++) {
                            exporter.writePage(page);
                            ctx.checkpoint(page + 1);                          // in the database before the next page
                            ctx.progress(100 * (page + 1) / pages, "page " + (page + 1) + " of " + pages);
                        }
                        return null;
                    })
                    .build();

            Job job = scheduler.client().get(id).orElseThrow();   // also scheduler.admin().job(id)
            job.progress();          // 40
            job.progressMessage();   // "page 8 of 20"
            job.checkpoint();        // "8" (JSON)
            // end snippet
        }

        void results() throws InterruptedException {
            // snippet docs/flow-control.md#10
            long id = client.enqueue(new RenderInvoice(orderId)).id();
            try {
                String json = client.awaitResult(id, Duration.ofSeconds(30));   // what the handler returned, as JSON
            } catch (JobFailedException e) {        // discarded or cancelled: e.state(), e.error() (the job's last error)
            } catch (TimeoutException e) {          // not finished yet; the job goes on
            }

            client.awaitResultAsync(id, Duration.ofMinutes(5))                   // a CompletableFuture<String>
                    .thenAccept(json -> respond(json));
            // end snippet
        }

        void whereAnOperatorLooks() {
            // snippet docs/flow-control.md#11
            for (QueueFlowState queue : scheduler.admin().flowControl()) {
                queue.settings();             // limits, partition key, rate, ordered-key policy, as the live nodes registered them
                queue.disagreeingNodes();     // live nodes whose settings differ (each claims with its own)
                queue.running();              // jobs running under the limits; queue.busiestPartitions() per partition
                queue.countedRunning();       // the same as the claims count them (V39's kept counts): equal unless bypassed
                queue.rates();                // per partition: when the next job may start, and how long that is
                for (QueueFlowState.BlockedKey key : queue.blockedKeys()) {   // the job first in line of a key, and why
                    if (key.reason().equals("discarded")) {
                        scheduler.admin().skipBlockingJob("alice", key.holderJobId());   // audited; the key goes on
                    }
                }
            }
            scheduler.admin().circuits();     // each kind's breaker: state, counts, opened at, cool-down until, probe job
            scheduler.admin().partitionCircuits();   // the circuits per partition that are not closed
            // end snippet
        }

        void circuitBreakerJavadoc() {
            // snippet scheduler-core/src/main/java/io/pgjobs/CircuitBreaker.java#1
            CircuitBreaker.afterConsecutiveFailures(5).coolDown(Duration.ofSeconds(30));
            CircuitBreaker.afterFailureRate(0.5, 20, Duration.ofMinutes(1));
            CircuitBreaker.afterConsecutiveFailures(5).perPartition(PartitionKey.args("tenant"));
            // end snippet
        }

        void jobClientJavadoc() throws InterruptedException, TimeoutException {
            // snippet scheduler-core/src/main/java/io/pgjobs/JobClient.java#1
            long id = client.enqueue(new RenderInvoice(orderId)).id();
            String pdfUrl = client.awaitResult(id, Duration.ofSeconds(30));
            // end snippet
        }

        void jobContextJavadoc() {
            // snippet scheduler-core/src/main/java/io/pgjobs/JobContext.java#1
            int from = ctx.checkpointAs(Integer.class).orElse(0);
            for (int page = from; page < pages; page++) {
                export(page);
                ctx.checkpoint(page + 1);
            }
            // end snippet
        }

        void partitionKeyJavadoc() {
            // snippet scheduler-core/src/main/java/io/pgjobs/PartitionKey.java#1
            PartitionKey.args("customer", "id");  // args {"customer": {"id": 42}} -> partition "42"
            PartitionKey.metadata("tenant");      // metadata {"tenant": "acme"} -> partition "acme"
            PartitionKey.requestKey();            // only JobRequest.partitionKey(...)
            // end snippet
        }

        void rateLimitJavadoc() {
            // snippet scheduler-core/src/main/java/io/pgjobs/RateLimit.java#1
            RateLimit.of(100, Duration.ofMinutes(1));                                // 100 a minute, one every 600 ms
            RateLimit.of(10, Duration.ofSeconds(1)).burst(5).perPartition(PartitionKey.args("tenant"));
            // end snippet
        }

        void schedulerBuilderJavadoc() {
            // snippet scheduler-core/src/main/java/io/pgjobs/Scheduler.java#2
            Scheduler.builder(dataSource)
                    .queue("reports", 10)
                    .queueLimit("reports", 5)                                      // 5 in all, cluster-wide
                    .partitionLimit("reports", PartitionKey.args("customerId"), 1); // 1 per customer
            // end snippet

            // snippet scheduler-core/src/main/java/io/pgjobs/Scheduler.java#3
            Scheduler.builder(dataSource)
                    .queue("api", 10)
                    .rateLimit("api", RateLimit.of(100, Duration.ofMinutes(1)).perPartition(PartitionKey.args("tenant")));
            // end snippet

            // snippet scheduler-core/src/main/java/io/pgjobs/Scheduler.java#4
            Scheduler.builder(dataSource)
                    .queue("ledger", 10)
                    .orderedKeys("ledger", OrderedKeys.BLOCK_WHEN_DISCARDED);
            client.enqueue(JobRequest.of(new Post(account, amount)).queue("ledger").orderingKey("account-" + account));
            // end snippet

            // snippet scheduler-core/src/main/java/io/pgjobs/Scheduler.java#5
            Scheduler.builder(dataSource)
                    .handler(CallPartner.class, ctx -> partner.call(ctx.args()))
                    .circuitBreaker("partner.call", CircuitBreaker.afterConsecutiveFailures(5).coolDown(Duration.ofMinutes(1)));
                    // or one circuit per tenant:
                    // CircuitBreaker.afterConsecutiveFailures(5).perPartition(PartitionKey.args("tenant"))
            // end snippet
        }

        void uniquenessJavadoc() {
            @JobKind("digest.send")
            record SendDigest() {}

            // snippet scheduler-core/src/main/java/io/pgjobs/Uniqueness.java#1
            // one report.build per customer while one is waiting or running
            JobRequest.of(new BuildReport(customerId, month)).unique(Uniqueness.byArgs("customerId").whileUnfinished());
            // at most one digest per hour (by default finished jobs count too, except cancelled and discarded ones)
            JobRequest.of(new SendDigest()).unique(Uniqueness.byArgs().period(Duration.ofHours(1)));
            // end snippet
        }
    }
}
