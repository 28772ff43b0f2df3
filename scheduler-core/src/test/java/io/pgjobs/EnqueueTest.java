package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.testing.PgDatabase;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

class EnqueueTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @JobKind("test.echo")
    record Echo(String text, int n) {}

    private JobClient client;

    @BeforeEach
    void setUp() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
        client = Scheduler.builder(db.dataSource()).build().client();
    }

    @Test
    void storesEveryOptionAndReadsTheJobBack() {
        Instant runAt = Instant.parse("2031-03-30T01:30:00.123456Z");
        EnqueueResult result = client.enqueue(JobRequest.of(new Echo("hi", 7)).queue("mail").priority(2)
                .runAt(runAt).maxAttempts(3).idempotencyKey("k-1").tags("a", "b \"quoted\"")
                .metadata("tenant", "acme"));

        Job job = client.get(result.id()).orElseThrow();
        assertThat(result.duplicate()).isFalse();
        assertThat(job.kind()).isEqualTo("test.echo");
        assertThat(job.queue()).isEqualTo("mail");
        assertThat(job.state()).isEqualTo(JobState.SCHEDULED);
        assertThat(job.priority()).isEqualTo(2);
        assertThat(job.runAt()).isEqualTo(runAt);
        assertThat(job.maxAttempts()).isEqualTo(3);
        assertThat(job.attempt()).isZero();
        assertThat(job.idempotencyKey()).isEqualTo("k-1");
        assertThat(job.tags()).containsExactly("a", "b \"quoted\"");
        assertThat(job.metadata()).contains("\"tenant\": \"acme\"");
        assertThat(client.args(job, Echo.class)).isEqualTo(new Echo("hi", 7));
        assertThat(client.attempts(result.id())).isEmpty();
    }

    @Test
    void defaultsAreAvailableNowAndDelaysUseDatabaseTime() throws Exception {
        long now = client.enqueue(new Echo("now", 1)).id();
        long later = client.enqueue(JobRequest.of(new Echo("later", 2)).delay(Duration.ofHours(2))).id();

        Job nowJob = client.get(now).orElseThrow();
        Job laterJob = client.get(later).orElseThrow();
        assertThat(nowJob.state()).isEqualTo(JobState.AVAILABLE);
        assertThat(nowJob.queue()).isEqualTo("default");
        assertThat(nowJob.priority()).isEqualTo(JobRequest.DEFAULT_PRIORITY);
        assertThat(laterJob.state()).isEqualTo(JobState.SCHEDULED);
        assertThat(Duration.between(laterJob.createdAt(), laterJob.runAt())).isEqualTo(Duration.ofHours(2));
        long dbNowMillis = db.queryLong("select (extract(epoch from now()) * 1000)::bigint");
        assertThat(Math.abs(nowJob.createdAt().toEpochMilli() - dbNowMillis)).isLessThan(60_000);
    }

    @Test
    void enqueueOnCallersConnectionRollsBackWithTheBusinessData() throws Exception {
        db.execute("create table if not exists orders (id int primary key)");
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("insert into orders values (1)");
            }
            client.enqueue(c, JobRequest.of(new Echo("order 1", 1)));
            c.rollback();
            try (Statement s = c.createStatement()) {
                s.execute("insert into orders values (2)");
            }
            client.enqueue(c, JobRequest.of(new Echo("order 2", 2)));
            c.commit();
        }
        assertThat(db.queryLong("select count(*) from orders")).isEqualTo(1);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isEqualTo(1);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where args->>'text' = 'order 2'")).isEqualTo(1);
    }

    @Test
    void enqueueOnJooqTransactionCommitsAndRollsBackWithIt() throws Exception {
        var dsl = DSL.using(db.dataSource(), SQLDialect.POSTGRES);
        dsl.transaction(tx -> client.enqueue(tx.dsl(), JobRequest.of(new Echo("kept", 1))));
        assertThatThrownBy(() -> dsl.transaction(tx -> {
            client.enqueue(tx.dsl(), JobRequest.of(new Echo("dropped", 2)));
            throw new IllegalStateException("business rule failed");
        })).hasMessageContaining("business rule failed");

        assertThat(db.queryLong("select count(*) from pgjobs.jobs where args->>'text' = 'kept'")).isEqualTo(1);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where args->>'text' = 'dropped'")).isZero();
    }

    @Test
    void batchEnqueueKeepsOrderAndResolvesDuplicateKeysInsideAndOutsideTheBatch() throws Exception {
        long existing = client.enqueue(JobRequest.of(new Echo("old", 0)).idempotencyKey("dup-old")).id();
        List<JobRequest> requests = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            requests.add(JobRequest.of(new Echo("job", i)).queue(i % 2 == 0 ? "even" : "odd"));
        }
        requests.add(JobRequest.of(new Echo("x", 1)).idempotencyKey("dup-new"));
        requests.add(JobRequest.of(new Echo("x", 2)).idempotencyKey("dup-new"));
        requests.add(JobRequest.of(new Echo("x", 3)).idempotencyKey("dup-old"));

        List<EnqueueResult> results = client.enqueueAll(requests);

        assertThat(results).hasSize(5_003);
        for (int i = 0; i < 5_000; i++) {
            Job job = i % 1000 == 0 ? client.get(results.get(i).id()).orElseThrow() : null;
            if (job != null) {
                assertThat(client.args(job, Echo.class).n()).isEqualTo(i);
            }
            assertThat(results.get(i).duplicate()).isFalse();
        }
        assertThat(results.get(5_000).duplicate()).isFalse();
        assertThat(results.get(5_001)).isEqualTo(new EnqueueResult(results.get(5_000).id(), true));
        assertThat(results.get(5_002)).isEqualTo(new EnqueueResult(existing, true));
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isEqualTo(5_002);
    }

    @Test
    void aBulkBatchOfJobsDueNowGoesInByCopyWithEveryValueIntactAndNotifiesAtCommit() throws Exception {
        String awkward = "tab\there, line\nbreak, return\r, back\\slash, \\. alone, \"quotes\", \\N, ünïcødé ✓";
        List<JobRequest> requests = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            requests.add(JobRequest.of(new Echo(awkward + i, i)).queue(i % 2 == 0 ? "bulk-a" : "bulk-b")
                    .priority(i % 10).maxAttempts(1 + i).tags("t" + i, awkward, "{braces}, \"and\" commas")
                    .metadata("tenant", awkward));
        }
        List<String> statements = new ArrayList<>();
        try (Connection listener = db.connect(); Connection producer = db.dataSource().getConnection()) {
            try (Statement s = listener.createStatement()) {
                s.execute("LISTEN pgjobs_pgjobs");
            }
            PGConnection pg = listener.unwrap(PGConnection.class);
            producer.setAutoCommit(false);
            List<EnqueueResult> results = client.enqueueAll(recordingStatements(producer, statements), requests);
            assertThat(pg.getNotifications(200)).isNullOrEmpty();
            producer.commit();
            assertThat(receive(pg, 2)).containsExactlyInAnyOrder("q:bulk-a", "q:bulk-b");

            assertThat(statements).anyMatch(sql -> sql.contains("nextval"))
                    .noneMatch(sql -> sql.contains(ARRAY_INSERT));
            assertThat(results).hasSize(150).allMatch(r -> !r.duplicate());
            assertThat(results.stream().mapToLong(EnqueueResult::id)).isSorted();
            for (int i = 0; i < 150; i++) {
                Job job = client.get(results.get(i).id()).orElseThrow();
                assertThat(client.args(job, Echo.class)).isEqualTo(new Echo(awkward + i, i));
                assertThat(job.queue()).isEqualTo(i % 2 == 0 ? "bulk-a" : "bulk-b");
                assertThat(job.priority()).isEqualTo(i % 10);
                assertThat(job.maxAttempts()).isEqualTo(1 + i);
                assertThat(job.tags()).containsExactly("t" + i, awkward, "{braces}, \"and\" commas");
                assertThat(job.state()).isEqualTo(JobState.AVAILABLE);
                assertThat(job.runAt()).isEqualTo(job.createdAt());
                assertThat(job.idempotencyKey()).isNull();
            }
            try (PreparedStatement tenants = listener.prepareStatement(
                    "select count(*) from pgjobs.jobs where metadata ->> 'tenant' = ?")) {
                tenants.setString(1, awkward);
                try (ResultSet rs = tenants.executeQuery()) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(150);
                }
            }

            client.enqueueAll(producer, requests);
            producer.rollback();
            assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isEqualTo(150);
            assertThat(pg.getNotifications(200)).isNullOrEmpty();
        }
    }

    @Test
    void aBulkBatchGoesInByInsertWhenAJobIsDelayedOrKeyedOrTheConnectionAutocommits() throws Exception {
        List<JobRequest> dueNow = new ArrayList<>();
        for (int i = 0; i < 149; i++) {
            dueNow.add(JobRequest.of(new Echo("bulk", i)));
        }
        List<List<JobRequest>> notByCopy = List.of(
                concat(dueNow, JobRequest.of(new Echo("later", 1)).delay(Duration.ofMinutes(5))),
                concat(dueNow, JobRequest.of(new Echo("keyed", 2)).idempotencyKey("bulk-key")),
                concat(dueNow, JobRequest.of(new Echo("dated", 3)).runAt(Instant.now().minusSeconds(60))));
        try (Connection producer = db.dataSource().getConnection()) {
            for (List<JobRequest> batch : notByCopy) {
                List<String> statements = new ArrayList<>();
                producer.setAutoCommit(false);
                client.enqueueAll(recordingStatements(producer, statements), batch);
                producer.commit();
                assertThat(statements).anyMatch(sql -> sql.contains(ARRAY_INSERT));
            }
            List<String> statements = new ArrayList<>();
            producer.setAutoCommit(true);
            client.enqueueAll(recordingStatements(producer, statements),
                    concat(dueNow, JobRequest.of(new Echo("autocommitted", 4))));
            assertThat(statements).anyMatch(sql -> sql.contains(ARRAY_INSERT));
        }
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isEqualTo(4 * 150);
    }

    /** A fragment of the batch INSERT's SQL: the statement that COPY stands in for. */
    private static final String ARRAY_INSERT = "unnest(?::text[], ?::text[]";

    private static List<JobRequest> concat(List<JobRequest> requests, JobRequest last) {
        List<JobRequest> all = new ArrayList<>(requests);
        all.add(last);
        return all;
    }

    /** {@code connection}, with the SQL of every statement it prepares added to {@code statements}. */
    private static Connection recordingStatements(Connection connection, List<String> statements) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("prepareStatement")) {
                        statements.add((String) args[0]);
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void manyThreadsRacingOnOneKeyGetOneJob() throws Exception {
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<EnqueueResult>> futures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int n = i;
            futures.add(pool.submit(() -> {
                start.await();
                return client.enqueue(JobRequest.of(new Echo("race", n)).idempotencyKey("the-key"));
            }));
        }
        start.countDown();
        Set<Long> ids = new HashSet<>();
        int duplicates = 0;
        for (Future<EnqueueResult> f : futures) {
            EnqueueResult r = f.get();
            ids.add(r.id());
            duplicates += r.duplicate() ? 1 : 0;
        }
        pool.shutdown();
        assertThat(ids).hasSize(1);
        assertThat(duplicates).isEqualTo(threads - 1);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where idempotency_key = 'the-key'")).isEqualTo(1);
    }

    @Test
    void badInputNamesTheFieldAndWritesNothing() throws Exception {
        assertThatThrownBy(() -> JobRequest.of(" ", new Echo("x", 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("kind:");
        assertThatThrownBy(() -> JobRequest.of(new Echo("x", 1)).priority(10)).hasMessageStartingWith("priority:");
        assertThatThrownBy(() -> JobRequest.of(new Echo("x", 1)).maxAttempts(0)).hasMessageStartingWith("maxAttempts:");
        assertThatThrownBy(() -> JobRequest.of("NoAnnotation")).hasMessageContaining("@JobKind");
        assertThatThrownBy(() -> client.enqueue(JobRequest.of("k", new Unserializable())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("args:");
        assertThatThrownBy(() -> client.enqueue(JobRequest.of("k", "just a string")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JSON object");

        JobClient small = Scheduler.builder(db.dataSource()).maxArgsBytes(100).build().client();
        assertThatThrownBy(() -> small.enqueue(new Echo("x".repeat(200), 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("over the limit of 100 bytes");
        // one bad request in a batch: none of the batch is written
        assertThatThrownBy(() -> small.enqueueAll(List.of(JobRequest.of(new Echo("ok", 1)),
                JobRequest.of(new Echo("y".repeat(200), 2))))).isInstanceOf(IllegalArgumentException.class);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isZero();
    }

    static final class Unserializable {
        public Object getValue() {
            throw new IllegalStateException("boom");
        }
    }

    @Test
    void cancelsAJobThatHasNotStarted() {
        long id = client.enqueue(new Echo("c", 1)).id();
        assertThat(client.cancel(id)).isTrue();
        Job job = client.get(id).orElseThrow();
        assertThat(job.state()).isEqualTo(JobState.CANCELLED);
        assertThat(job.finishedAt()).isNotNull();
        assertThat(client.cancel(id)).isFalse();
        assertThat(client.cancel(987654321L)).isFalse();
        assertThat(client.get(987654321L)).isEmpty();
    }

    @Test
    void notifiesWorkersOnlyAtCommitAndOncePerQueue() throws Exception {
        try (Connection listener = db.connect(); Connection producer = db.dataSource().getConnection()) {
            try (Statement s = listener.createStatement()) {
                s.execute("LISTEN pgjobs_pgjobs");
            }
            PGConnection pg = listener.unwrap(PGConnection.class);
            producer.setAutoCommit(false);
            List<JobRequest> batch = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                batch.add(JobRequest.of(new Echo("n", i)).queue(i < 50 ? "q1" : "q2"));
            }
            batch.add(JobRequest.of(new Echo("later", 1)).queue("q3").delay(Duration.ofHours(1)));
            client.enqueueAll(producer, batch);
            assertThat(pg.getNotifications(200)).isNullOrEmpty();
            producer.commit();

            List<String> payloads = receive(pg, 2);
            PGNotification[] extra = pg.getNotifications(200);
            assertThat(payloads).containsExactlyInAnyOrder("q:q1", "q:q2");
            assertThat(extra).isNullOrEmpty();
        }
    }

    @Test
    void aSingleEnqueueNotifiesAtCommitOnlyForAJobDueNowAndNewlyInserted() throws Exception {
        try (Connection listener = db.connect(); Connection producer = db.dataSource().getConnection()) {
            try (Statement s = listener.createStatement()) {
                s.execute("LISTEN pgjobs_pgjobs");
            }
            PGConnection pg = listener.unwrap(PGConnection.class);
            producer.setAutoCommit(false);
            client.enqueue(producer, JobRequest.of(new Echo("now", 1)).queue("single").idempotencyKey("single-1"));
            assertThat(pg.getNotifications(200)).isNullOrEmpty();
            producer.commit();
            assertThat(receive(pg, 1)).containsExactly("q:single");

            EnqueueResult duplicate = client.enqueue(producer,
                    JobRequest.of(new Echo("again", 2)).queue("single").idempotencyKey("single-1"));
            client.enqueue(producer, JobRequest.of(new Echo("later", 3)).queue("single").delay(Duration.ofHours(1)));
            producer.commit();
            assertThat(duplicate.duplicate()).isTrue();
            assertThat(pg.getNotifications(300)).isNullOrEmpty();
        }
    }

    /** The payloads of the notifications {@code pg} receives until it has {@code count} or five seconds pass. */
    private static List<String> receive(PGConnection pg, int count) throws Exception {
        List<String> payloads = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (payloads.size() < count && System.nanoTime() < deadline) {
            PGNotification[] received = pg.getNotifications(100);
            if (received != null) {
                for (PGNotification n : received) {
                    payloads.add(n.getParameter());
                }
            }
        }
        return payloads;
    }

    @Test
    void runAtIsExactAcrossTimeZones() {
        Instant runAt = Instant.now().plus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MICROS);
        long id = client.enqueue(JobRequest.of(new Echo("tz", 1)).runAt(runAt)).id();
        assertThat(client.get(id).orElseThrow().runAt()).isEqualTo(runAt);
    }
}
