package io.pgjobs.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.Job;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.NonRetryableException;
import io.pgjobs.ScheduleInfo;
import io.pgjobs.ScheduleRun;
import io.pgjobs.Scheduler;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class AdminClientTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @JobKind("test.order")
    record Order(long customer_id, String plan, Map<String, String> address) {}

    private Scheduler scheduler;
    private AdminClient admin;

    @BeforeEach
    void setUp() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts, pgjobs.job_stats, pgjobs.queue_lag, pgjobs.audit_log, pgjobs.queues,"
                + " pgjobs.schedules, pgjobs.schedule_runs, pgjobs.nodes, pgjobs.busy_queues");
        scheduler = Scheduler.builder(db.dataSource()).build();
        admin = scheduler.admin();
    }

    @AfterEach
    void tearDown() {
        scheduler.close();
    }

    private long enqueue(long customer, String plan, String country) {
        return scheduler.client().enqueue(JobRequest.of(new Order(customer, plan, Map.of("country", country)))
                .tags("orders")).id();
    }

    @Test
    void filtersByArgsPathsAndPagesByIdDescending() {
        long a = enqueue(42, "free", "PT");
        long b = enqueue(42, "pro", "DE");
        long c = enqueue(7, "pro", "PT");

        assertThat(ids(filter("customer_id = 42"))).containsExactly(b, a);
        assertThat(ids(filter("args.customer_id = 42 and plan != \"free\""))).containsExactly(b);
        assertThat(ids(filter("address.country = PT"))).containsExactly(c, a);
        assertThat(ids(filter("customer_id = \"42\""))).isEmpty();

        JobPage first = admin.jobs(JobFilter.ALL, PageRequest.first(2));
        assertThat(first.jobs()).extracting(Job::id).containsExactly(c, b);
        JobPage second = admin.jobs(JobFilter.ALL, new PageRequest(first.nextBeforeId(), 2));
        assertThat(second.jobs()).extracting(Job::id).containsExactly(a);
        assertThat(second.nextBeforeId()).isNull();
        assertThat(second.partial()).isFalse();
        assertThat(admin.count(filter("plan = pro"), 1)).isEqualTo(new Count(1, true));
        assertThat(admin.count(filter("plan = pro"), 10)).isEqualTo(new Count(2, false));
        // a bare value is JSON only when the whole of it is: these are the text they are, not true and null
        long d = enqueue(8, "true;", "null}");
        assertThat(ids(filter("plan = true;"))).containsExactly(d);
        assertThat(ids(filter("address.country = null}"))).containsExactly(d);
    }

    @Test
    void aFilterNoIndexNarrowsSearchesOneWindowOfIdsPerPageAndContinuesToTheOldestJob() throws Exception {
        long oldest = enqueue(42, "free", "PT");
        skipIds(150_000);
        long middle = enqueue(42, "free", "PT");
        skipIds(150_000);
        long newest = enqueue(7, "free", "PT");

        JobPage first = admin.jobs(filter("customer_id = 42"), PageRequest.first(50));
        assertThat(first.jobs()).isEmpty();
        assertThat(first.partial()).isTrue();
        assertThat(first.nextBeforeId()).isEqualTo(newest + 1 - 100_000);

        List<Long> found = new ArrayList<>();
        JobPage page = first;
        int requests = 1;
        while (page.nextBeforeId() != null) {
            page = admin.jobs(filter("customer_id = 42"), new PageRequest(page.nextBeforeId(), 50));
            page.jobs().forEach(job -> found.add(job.id()));
            requests++;
        }
        assertThat(found).containsExactly(middle, oldest);
        assertThat(requests).isEqualTo(4);
        assertThat(page.partial()).isFalse();

        // a state that an index lists is found in one request, however far down
        db.execute("update pgjobs.jobs set state = 'cancelled', finished_at = now() where id = " + oldest);
        JobPage cancelled = admin.jobs(JobFilter.ofStates(JobState.CANCELLED), PageRequest.first(50));
        assertThat(cancelled.jobs()).extracting(Job::id).containsExactly(oldest);
        assertThat(cancelled.nextBeforeId()).isNull();
        assertThat(cancelled.partial()).isFalse();

        // the preview count and the bulk action are not windowed
        assertThat(admin.count(filter("customer_id = 42"), 10)).isEqualTo(new Count(2, false));
        BatchResult batch = admin.actOnMatching("olga", JobAction.DELETE, filter("customer_id = 42"), null, 10);
        assertThat(batch.changed()).isEqualTo(2);
        assertThat(batch.done()).isTrue();
    }

    /** Leaves a gap of {@code n} unused ids, as if that many jobs had been enqueued and deleted. */
    private static void skipIds(long n) throws Exception {
        db.execute("select setval(pg_get_serial_sequence('pgjobs.jobs', 'id'), "
                + "(select max(id) from pgjobs.jobs) + " + n + ")");
    }

    @Test
    void rejectsBadArgsPredicatesNamingTheField() {
        for (String bad : List.of("customer_id", "customer_id = 1 or 1=1", "x = 1; drop table jobs", "'a' = 1", "a = \"x")) {
            assertThatThrownBy(() -> admin.jobs(filter(bad), PageRequest.first(10)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("args:");
        }
        assertThatThrownBy(() -> new PageRequest(null, 0)).hasMessageStartingWith("limit:");
    }

    @Test
    void bulkActionsWorkInBatchesAndAreAudited() {
        for (int i = 0; i < 5; i++) {
            enqueue(i, "bulk", "PT");
        }
        JobFilter bulk = filter("plan = bulk");
        BatchResult first = admin.actOnMatching("alice", JobAction.CANCEL, bulk, null, 2);
        assertThat(first).isEqualTo(new BatchResult(2, 2, first.nextCursor(), false));
        BatchResult second = admin.actOnMatching("alice", JobAction.CANCEL, bulk, first.nextCursor(), 2);
        BatchResult third = admin.actOnMatching("alice", JobAction.CANCEL, bulk, second.nextCursor(), 2);
        assertThat(third.done()).isTrue();
        assertThat(first.changed() + second.changed() + third.changed()).isEqualTo(5);
        assertThat(admin.count(new JobFilter(java.util.Set.of(JobState.CANCELLED), null, null, "orders", null, null,
                null, null, null), 100).value()).isEqualTo(5);
        assertThat(admin.audit(PageRequest.first(10))).hasSize(3)
                .allSatisfy(e -> assertThat(e.actor()).isEqualTo("alice"))
                .allSatisfy(e -> assertThat(e.action()).isEqualTo("bulk_cancel"));
    }

    @Test
    void aBulkActionOnTooManyOrNoIdsNamesTheIds() {
        List<Long> tooMany = java.util.stream.LongStream.rangeClosed(1, 1001).boxed().toList();
        assertThatThrownBy(() -> admin.actOnIds("alice", JobAction.DELETE, tooMany))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("jobIds: must list 1 to 1000 job ids, got 1001");
        assertThatThrownBy(() -> admin.actOnIds("alice", JobAction.DELETE, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("jobIds: must list 1 to 1000 job ids, got 0");
        long id = enqueue(1, "free", "PT");
        assertThatThrownBy(() -> admin.actOnIds("alice", JobAction.DELETE, List.of(id, id)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jobIds: job " + id + " is listed more than once");
        assertThatThrownBy(() -> admin.actOnIds("alice", JobAction.DELETE, List.of(id, 0L)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jobIds: 0 is no job id (ids are whole numbers, 1 or more)");
        assertThatThrownBy(() -> admin.actOnIds("alice", JobAction.DELETE, java.util.Arrays.asList(id, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("jobIds: null is no job id");
        assertThat(admin.job(id)).isPresent();
        assertThat(admin.audit(PageRequest.first(10))).isEmpty();
    }

    @Test
    void theClocksAreTheDatabasesAndTheSchedulesOne() throws Exception {
        long before = db.queryLong("select (extract(epoch from clock_timestamp()) * 1000)::bigint");
        Clocks clocks = admin.clocks();
        long after = db.queryLong("select (extract(epoch from clock_timestamp()) * 1000)::bigint");
        assertThat(clocks.now().toEpochMilli()).isBetween(before - 1, after + 1);
        assertThat(clocks.schedulesAhead()).isZero();
        // what pgjobs-test's advanceTime does in a test's database
        db.execute("create or replace function pgjobs.schedule_clock() returns timestamptz language sql stable"
                + " as $$ select now() + interval '90 minutes' $$");
        try {
            assertThat(admin.clocks().schedulesAhead()).isEqualTo(Duration.ofMinutes(90));
        } finally {
            db.execute("create or replace function pgjobs.schedule_clock() returns timestamptz language sql stable"
                    + " parallel safe as $$ select now() $$");
        }
    }

    @Test
    void pausedQueuesAreNotWorkedAndShowInTheQueueList() throws Exception {
        long id = enqueue(1, "p", "PT");
        admin.pauseQueue("bob", "default");
        try (Scheduler worker = Scheduler.builder(db.dataSource()).queue("default", 2).pollInterval(Duration.ofMillis(50))
                .handler(Order.class, ctx -> null).build()) {
            worker.start();
            // the worker polls every 50 ms; a queue that stays paused leaves the job waiting with a growing lag
            Await.until(Duration.ofSeconds(10), "the waiting job's lag passes 300 ms",
                    () -> admin.queues().getFirst().lag().toMillis() > 300);
            QueueInfo queue = admin.queues().getFirst();
            assertThat(queue.name()).isEqualTo("default");
            assertThat(queue.paused()).isTrue();
            assertThat(queue.waiting()).isEqualTo(new Count(1, false));
            assertThat(queue.running()).isZero();
            assertThat(admin.job(id).orElseThrow().state()).isEqualTo(JobState.AVAILABLE);
            admin.resumeQueue("bob", "default");
            Await.until(Duration.ofSeconds(10), "job done after resume",
                    () -> admin.job(id).orElseThrow().state() == JobState.COMPLETED);
        }
        assertThat(admin.audit(PageRequest.first(10))).extracting(AuditEntry::action)
                .containsExactly("resume_queue", "pause_queue");
    }

    @Test
    void aQueueListsTheNodesPollingItOnTheirOwnWhileTheyDrainABacklog() throws Exception {
        try (Scheduler worker = Scheduler.builder(db.dataSource()).nodeId("drainer").queue("default", 50)
                .pollInterval(Duration.ofMillis(50)).handler(Order.class, ctx -> null).build()) {
            worker.start();
            // a producer keeps the queue fed until the node, finding work on every claim, promises to poll it
            AtomicBoolean seen = new AtomicBoolean();
            Thread producer = Thread.ofPlatform().start(() -> {
                while (!seen.get()) {
                    List<JobRequest> jobs = new ArrayList<>();
                    for (int i = 0; i < 500; i++) {
                        jobs.add(JobRequest.of(new Order(i, "p", Map.of("country", "PT"))));
                    }
                    scheduler.client().enqueueAll(jobs);
                }
            });
            AtomicReference<List<QueueInfo.PollingNode>> polling = new AtomicReference<>();
            AtomicReference<Instant> before = new AtomicReference<>();
            Instant after;
            try {
                Await.until(Duration.ofSeconds(120), "the queue lists a node polling it on its own", () -> {
                    before.set(admin.clocks().now());
                    polling.set(admin.queues().getFirst().pollingNodes());
                    return !polling.get().isEmpty();
                });
                after = admin.clocks().now();
            } finally {
                seen.set(true);
                producer.join();
            }
            assertThat(polling.get()).extracting(QueueInfo.PollingNode::nodeId).containsExactly("drainer");
            // database time: a promise holds a second from its last renewal, which the reading came after
            assertThat(polling.get().getFirst().pollsUntil()).isAfter(before.get())
                    .isBeforeOrEqualTo(after.plusSeconds(1));
            // once the backlog is drained, the node stops renewing its promise: it leaves the list within a second
            Await.until(Duration.ofSeconds(120), "the backlog drained and the promise ended",
                    () -> admin.queues().getFirst().waiting().value() == 0
                            && admin.queues().getFirst().pollingNodes().isEmpty());
        }
        assertThat(admin.queues()).allSatisfy(q -> assertThat(q.pollingNodes()).isEmpty());
    }

    @Test
    void anUnknownQueueCannotBePausedAndAQueueNoNodeWorksCanBeRemoved() throws Exception {
        assertThatThrownBy(() -> admin.pauseQueue("bob", "defualt")).isInstanceOf(NotFoundException.class)
                .hasMessageStartingWith("queue: no queue named 'defualt'");
        assertThatThrownBy(() -> admin.resumeQueue("bob", "defualt")).isInstanceOf(IllegalArgumentException.class);
        assertThat(admin.queues()).isEmpty();

        long id = enqueue(1, "p", "PT");
        admin.pauseQueue("bob", "default");
        admin.act("bob", JobAction.DELETE, id);
        // its settings keep a queue without jobs in the list, until an operator removes it
        assertThat(admin.queues()).extracting(QueueInfo::name).containsExactly("default");
        try (Scheduler worker = Scheduler.builder(db.dataSource()).nodeId("worker-1").queue("default", 1)
                .handler(Order.class, ctx -> null).build()) {
            worker.start();
            Await.until(Duration.ofSeconds(20), "the worker registers", () -> !admin.nodes().isEmpty());
            assertThatThrownBy(() -> admin.removeQueue("bob", "default")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("worker-1");
        }
        assertThat(admin.removeQueue("bob", "default")).isTrue();
        assertThat(admin.queues()).isEmpty();
        // removed, it is no queue any more: no jobs, settings, node or recent work
        assertThatThrownBy(() -> admin.removeQueue("bob", "default")).isInstanceOf(NotFoundException.class)
                .hasMessageStartingWith("queue: no queue named 'default'");
        assertThat(admin.audit(PageRequest.first(10))).extracting(AuditEntry::action)
                .containsExactly("remove_queue", "delete", "pause_queue");
    }

    @Test
    void completionsFeedTheStatisticsAndDeadLettersGroupByFingerprint() throws Exception {
        try (Scheduler worker = Scheduler.builder(db.dataSource()).queue("default", 4).pollInterval(Duration.ofMillis(50))
                .handler(Order.class, ctx -> {
                    if (ctx.args().plan().equals("bad")) {
                        throw new NonRetryableException("customer " + ctx.args().customer_id() + " not found");
                    }
                    return null;
                }).build()) {
            worker.start();
            enqueue(1, "ok", "PT");
            enqueue(2, "ok", "PT");
            enqueue(3, "bad", "PT");
            enqueue(4444, "bad", "PT");
            Await.until(Duration.ofSeconds(10), "all finished",
                    () -> admin.count(JobFilter.ofStates(JobState.COMPLETED, JobState.DISCARDED), 10).value() == 4);
        }
        Overview overview = admin.overview(Overview.Span.HOUR);
        assertThat(overview.states().get(JobState.COMPLETED)).isEqualTo(new Count(2, false));
        assertThat(overview.states().get(JobState.DISCARDED)).isEqualTo(new Count(2, false));
        assertThat(overview.series()).hasSize(60);
        assertThat(overview.series().stream().mapToLong(Overview.StatsPoint::completed).sum()).isEqualTo(2);
        assertThat(overview.series().stream().mapToLong(Overview.StatsPoint::discarded).sum()).isEqualTo(2);
        Overview day = admin.overview(Overview.Span.DAY);
        assertThat(day.series()).hasSize(144);
        assertThat(day.series().stream().mapToLong(Overview.StatsPoint::completed).sum()).isEqualTo(2);

        List<DeadLetterGroup> groups = admin.deadLetters();
        assertThat(groups).singleElement().satisfies(g -> {
            assertThat(g.jobs()).isEqualTo(2);
            assertThat(g.errorClass()).isEqualTo(NonRetryableException.class.getName());
            assertThat(g.pattern()).endsWith("customer # not found");
        });
        BatchResult retried = admin.actOnDeadLetters("carol", JobAction.RETRY, groups.getFirst().fingerprint(), 10);
        assertThat(retried).isEqualTo(new BatchResult(2, 2, null, true));
        assertThat(admin.deadLetters()).isEmpty();
        assertThat(admin.count(JobFilter.ofStates(JobState.AVAILABLE), 10).value()).isEqualTo(2);
    }

    @Test
    void theOverviewChartsEachQueuesSampledLagWithTheLargestValuesPerBucket() throws Exception {
        // the leader's samples (QueueLagSampler writes them; see QueueLagSamplerTest)
        db.execute("""
                insert into pgjobs.queue_lag (minute, queue, lag_ms, waiting, running)
                select date_trunc('minute', now()) - m * interval '1 minute', q, lag, waiting, running
                from (values (2, 'mail', 9000, 10001, 1), (1, 'mail', 5000, 3, 2), (30, 'reports', 0, 0, 0),
                             (120, 'archive', 60000, 1, 0), (2000, 'ancient', 1, 1, 1)) v(m, q, lag, waiting, running)
                """);
        List<Overview.QueueLag> hour = admin.overview(Overview.Span.HOUR).lag();
        assertThat(hour).extracting(Overview.QueueLag::queue).containsExactly("mail", "reports");
        List<Overview.LagPoint> mail = hour.getFirst().points();
        assertThat(mail).extracting(Overview.LagPoint::lagMs).containsExactly(9000L, 5000L);
        assertThat(mail).extracting(Overview.LagPoint::waiting).containsExactly(new Count(10_000, true), new Count(3, false));
        assertThat(mail).extracting(Overview.LagPoint::running).containsExactly(1L, 2L);
        assertThat(Duration.between(mail.get(0).start(), mail.get(1).start())).isEqualTo(Duration.ofMinutes(1));
        // each point starts a bucket of the throughput series, so the charts line up
        List<java.time.Instant> buckets = admin.overview(Overview.Span.HOUR).series().stream()
                .map(Overview.StatsPoint::start).toList();
        assertThat(buckets).contains(mail.get(0).start(), mail.get(1).start());

        List<Overview.QueueLag> day = admin.overview(Overview.Span.DAY).lag();
        assertThat(day).extracting(Overview.QueueLag::queue).containsExactly("archive", "mail", "reports");
        // the two minutes share a ten-minute bucket, or lie on both sides of a boundary
        List<Overview.LagPoint> mailByTenMinutes = day.get(1).points();
        assertThat(mailByTenMinutes).hasSizeBetween(1, 2);
        assertThat(mailByTenMinutes.stream().mapToLong(Overview.LagPoint::lagMs).max()).hasValue(9000);
        assertThat(mailByTenMinutes.stream().mapToLong(Overview.LagPoint::running).max()).hasValue(2);
        assertThat(day.getFirst().points()).singleElement().satisfies(p -> assertThat(p.lagMs()).isEqualTo(60_000));
    }

    @Test
    void numbersInArgsAreReadAsWrittenNotAsTheNearestDouble() throws Exception {
        // jsonb keeps every digit; a double would be 0.1 for the first, infinity (stored as "Infinity") for the second
        long precise = scheduler.client().enqueue(JobRequest.of("test.numbers",
                Map.of("x", new BigDecimal("0.1000000000000000000001")))).id();
        long huge = scheduler.client().enqueue(JobRequest.of("test.numbers",
                Map.of("x", new BigDecimal("1e400")))).id();
        long plain = scheduler.client().enqueue(JobRequest.of("test.numbers", Map.of("x", 0.1))).id();

        assertThat(ids(filter("x = 0.1000000000000000000001"))).containsExactly(precise);
        assertThat(ids(filter("x = 0.1"))).containsExactly(plain);
        assertThat(ids(filter("x = 1e400"))).containsExactly(huge);

        for (long original : List.of(precise, huge)) {
            long copy = admin.cloneJob("dave", original, null);
            assertThat(args(copy)).isEqualTo(args(original));
        }
        long edited = admin.cloneJob("dave", plain, "{\"x\": 1e400, \"y\": 1.50}");
        assertThat(args(edited)).isEqualTo("{\"x\": 1" + "0".repeat(400) + ", \"y\": 1.50}");
        assertThatThrownBy(() -> admin.cloneJob("dave", plain, "{\"x\": 1e200000}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("args: the number 1E+200000 is out of range of PostgreSQL's numeric");
    }

    @Test
    void clonesWithEditedArgsAndTriggersSchedules() throws Exception {
        long id = enqueue(5, "pro", "PT");
        long copy = admin.cloneJob("dave", id, "{\"customer_id\": 6, \"plan\": \"pro\", \"address\": {}}");
        Job cloned = admin.job(copy).orElseThrow();
        assertThat(cloned.kind()).isEqualTo("test.order");
        assertThat(cloned.tags()).containsExactly("orders");
        assertThat(cloned.args()).contains("\"customer_id\": 6");
        assertThatThrownBy(() -> admin.cloneJob("dave", id, "[1]")).hasMessageStartingWith("args:");
        assertThatThrownBy(() -> admin.cloneJob("dave", id, "{\"plan\": \"pro\"} {\"plan\": \"free\"}"))
                .hasMessageStartingWith("args: not valid JSON");

        db.execute("insert into pgjobs.schedules (name, expression, time_zone, kind, args, next_fire_at) values "
                + "('nightly', '30 2 * * *', 'Europe/Lisbon', 'test.order', '{\"plan\": \"nightly\"}', now() + interval '1 day')");
        ScheduleInfo schedule = admin.schedules().getFirst();
        assertThat(schedule.description()).isNotBlank();
        assertThat(schedule.nextFireTimes()).hasSize(5);
        long triggered = admin.triggerSchedule("dave", "nightly");
        Job triggeredJob = admin.job(triggered).orElseThrow();
        assertThat(triggeredJob.args()).contains("nightly");
        assertThat(triggeredJob.metadata()).contains("\"pgjobs.schedule\": \"nightly\"", "\"pgjobs.trigger\": \"manual\"");
        ScheduleRun run = admin.schedules().getFirst().recentRuns().getFirst();
        assertThat(run.jobId()).isEqualTo(triggered);
        assertThat(run.manual()).isTrue();
        assertThat(run.state()).isEqualTo(JobState.AVAILABLE);
        assertThat(run.fireTime()).isEqualTo(triggeredJob.runAt());
        assertThat(run.startedAt()).isNull();
        db.execute("update pgjobs.jobs set state = 'completed', started_at = now() - interval '3 seconds',"
                + " finished_at = now() where id = " + triggered);
        ScheduleRun finished = admin.schedules().getFirst().recentRuns().getFirst();
        assertThat(finished.state()).isEqualTo(JobState.COMPLETED);
        assertThat(Duration.between(finished.startedAt(), finished.finishedAt())).isEqualTo(Duration.ofSeconds(3));
        long second = admin.triggerSchedule("dave", "nightly");
        assertThat(admin.schedules().getFirst().recentRuns()).extracting(ScheduleRun::jobId).containsExactly(second, triggered);
        admin.act("dave", JobAction.DELETE, triggered);
        assertThat(admin.schedules().getFirst().recentRuns().getLast().state()).as("a run whose job is gone").isNull();
        assertThat(admin.setScheduleEnabled("dave", "nightly", false)).isTrue();
        assertThat(admin.schedules().getFirst()).matches(ScheduleInfo::paused)
                .matches(s -> s.nextFireAt() == null && s.nextFireTimes().isEmpty(), "nothing pending while paused");
        // resumed from here as the schedule client resumes: from the next future 02:30 in Lisbon
        assertThat(admin.setScheduleEnabled("dave", "nightly", true)).isTrue();
        ScheduleInfo resumed = admin.schedules().getFirst();
        assertThat(resumed.paused()).isFalse();
        assertThat(resumed.nextFireAt()).isAfter(Instant.ofEpochMilli(db.queryLong(
                "select (extract(epoch from now()) * 1000)::bigint")));
        assertThat(resumed.nextFireAt().atZone(ZoneId.of("Europe/Lisbon")).toLocalTime()).isEqualTo(LocalTime.of(2, 30));
        assertThat(resumed.nextFireTimes()).hasSize(5);
        assertThat(admin.audit(PageRequest.first(2))).extracting(AuditEntry::action)
                .containsExactly("resume_schedule", "pause_schedule");
        assertThatThrownBy(() -> admin.triggerSchedule("dave", "nope")).hasMessageStartingWith("name:");

        db.execute("insert into pgjobs.nodes (id, host, pid, version, queues) values ('n1', 'h', 1, '0.1', '{default}'),"
                + " ('n2', 'h', 2, '0.1', '{}')");
        db.execute("update pgjobs.nodes set heartbeat_at = now() - interval '5 minutes' where id = 'n2'");
        db.execute("update pgjobs.nodes set leader_since = now() - interval '1 minute' where id = 'n1'");
        assertThat(admin.nodes()).extracting(NodeInfo::id, NodeInfo::alive)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("n1", true), org.assertj.core.groups.Tuple.tuple("n2", false));
        assertThat(admin.nodes().get(0).leaderSince()).isBefore(admin.nodes().get(0).heartbeatAt());
        assertThat(admin.nodes().get(1).leaderSince()).isNull();
    }

    @Test
    void aNodeCountsAsDeadAfterTheClustersNodeDeadAfter() throws Exception {
        db.execute("delete from pgjobs.nodes");
        db.execute("insert into pgjobs.nodes (id, host, pid, version, queues) values ('quiet', 'h', 1, '0.1', '{}')");
        db.execute("update pgjobs.nodes set heartbeat_at = now() - interval '10 seconds'");
        Scheduler quick = Scheduler.builder(db.dataSource()).nodeDeadAfter(Duration.ofSeconds(5)).build();
        Scheduler patient = Scheduler.builder(db.dataSource()).nodeDeadAfter(Duration.ofSeconds(30)).build();

        assertThat(quick.admin().nodes()).extracting(NodeInfo::alive).as("silent for 10 s, dead after 5 s")
                .containsExactly(false);
        assertThat(patient.admin().nodes()).extracting(NodeInfo::alive).as("silent for 10 s, dead after 30 s")
                .containsExactly(true);
    }

    private String args(long job) {
        return admin.job(job).orElseThrow().args();
    }

    private static JobFilter filter(String args) {
        return new JobFilter(null, null, null, null, null, null, null, null, args);
    }

    private List<Long> ids(JobFilter filter) {
        return admin.jobs(filter, PageRequest.first(50)).jobs().stream().map(Job::id).toList();
    }
}
