package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.util.PSQLException;

/**
 * {@code pgjobs.enqueue(...)} (migrations/V20, with the partition and ordering keys of V29): a job enqueued from SQL runs like one from Java (the commit's
 * notification wakes a worker that would otherwise poll once an hour), an idempotency key returns the existing
 * job, bad input is refused with SQLSTATE 22023 and the field's name, and docs/sql-enqueue.md's trigger enqueues a
 * job when an order's status changes, and nothing when its transaction rolls back.
 */
class SqlEnqueueTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @JobKind("order.status-changed")
    record StatusChanged(long orderId, String status) {}

    private static final BlockingQueue<StatusChanged> handled = new LinkedBlockingQueue<>();
    private static Scheduler scheduler;

    /** The trigger of docs/sql-enqueue.md, verbatim. */
    private static final String SAMPLE_TRIGGER = """
            create table orders (id bigint primary key, status text not null);

            create function orders_status_changed() returns trigger language plpgsql as $$
            begin
                perform pgjobs.enqueue('order.status-changed',
                                       jsonb_build_object('orderId', new.id, 'status', new.status),
                                       idempotency_key => 'order-status:' || new.id || ':' || new.status);
                return new;
            end
            $$;

            create trigger orders_status_changed after update of status on orders
                for each row when (old.status is distinct from new.status)
                execute function orders_status_changed();
            """;

    @BeforeAll
    static void start() throws SQLException {
        db.execute(SAMPLE_TRIGGER);
        scheduler = Scheduler.builder(db.dataSource())
                .queue("default", 2)
                .pollInterval(Duration.ofHours(1))
                .handler(StatusChanged.class, ctx -> handled.add(ctx.args()))
                .build();
        scheduler.start();
    }

    @AfterAll
    static void stop() {
        scheduler.close();
    }

    @Test
    void aJobEnqueuedFromSqlRunsWhenItsTransactionCommits() throws Exception {
        long id = queryLong("select id from pgjobs.enqueue('order.status-changed', '{\"orderId\": 7, \"status\": \"paid\"}')");

        assertThat(handled.poll(60, TimeUnit.SECONDS)).isEqualTo(new StatusChanged(7, "paid"));
        Job job = scheduler.client().get(id).orElseThrow();
        assertThat(job.kind()).isEqualTo("order.status-changed");
        assertThat(job.queue()).isEqualTo("default");
    }

    @Test
    void takesTheOptionsOfTheJavaClient() throws Exception {
        long id = queryLong("""
                select id from pgjobs.enqueue('report.build', '[1, 2]', queue => 'reports', priority => 2,
                                              delay => interval '1 hour', max_attempts => 3,
                                              tags => array['nightly'], metadata => '{"by": "psql"}')
                """);

        Job job = scheduler.client().get(id).orElseThrow();
        assertThat(job.state()).isEqualTo(JobState.SCHEDULED);
        assertThat(job.queue()).isEqualTo("reports");
        assertThat(job.priority()).isEqualTo(2);
        assertThat(job.maxAttempts()).isEqualTo(3);
        assertThat(job.tags()).containsExactly("nightly");
        assertThat(job.args()).isEqualTo("[1, 2]");
    }

    @Test
    void takesAPartitionKeyAndAnOrderingKey() throws Exception {
        long id = queryLong("""
                select id from pgjobs.enqueue('ledger.post', '{"account": 7}', queue => 'ledger',
                                              partition_key => 'tenant-7', ordering_key => 'account-7')
                """);
        long plain = queryLong("select id from pgjobs.enqueue('ledger.post', '{\"account\": 8}')");

        assertThat(queryLong("select count(*) from pgjobs.jobs where id = " + id
                + " and partition_key = 'tenant-7' and ordering_key = 'account-7'")).isOne();
        assertThat(queryLong("select count(*) from pgjobs.jobs where id = " + plain
                + " and partition_key is null and ordering_key is null")).isOne();
    }

    @Test
    void aCallWrittenForTheFirstVersionStillMeansTheSame() throws Exception {
        // all ten parameters of V20's function, by position: one function matches, the keys stay null
        long id = queryLong("""
                select id from pgjobs.enqueue('report.build', '{}', 'reports', 3, null, interval '1 hour', 4,
                                              'report-positional', array['t'], '{"by": "psql"}')
                """);

        assertThat(queryLong("select count(*) from pgjobs.jobs where id = " + id + " and queue = 'reports' "
                + "and priority = 3 and max_attempts = 4 and idempotency_key = 'report-positional' "
                + "and partition_key is null and ordering_key is null")).isOne();
    }

    @Test
    void anExistingIdempotencyKeyReturnsTheExistingJob() throws Exception {
        String enqueue = "select id, duplicate from pgjobs.enqueue('report.build', idempotency_key => 'report-2026-12-05', "
                + "delay => interval '1 hour')";
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            ResultSet first = statement.executeQuery(enqueue);
            first.next();
            long id = first.getLong("id");
            assertThat(first.getBoolean("duplicate")).isFalse();

            ResultSet second = statement.executeQuery(enqueue);
            second.next();
            assertThat(second.getLong("id")).isEqualTo(id);
            assertThat(second.getBoolean("duplicate")).isTrue();
        }
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        assertRefused("pgjobs.enqueue(' ')", "kind: must not be blank");
        assertRefused("pgjobs.enqueue('k', '\"text\"')", "args: must be a JSON object or array, got string");
        assertRefused("pgjobs.enqueue('k', priority => 12)", "priority: 12 is out of range 0..9");
        assertRefused("pgjobs.enqueue('k', max_attempts => 0)", "maxAttempts: 0 is out of range 1..1000");
        assertRefused("pgjobs.enqueue('k', queue => repeat('q', 101))", "queue: is 101 characters, over the limit of 100");
        assertRefused("pgjobs.enqueue('k', delay => interval '-1 second')", "delay: must not be negative");
        assertRefused("pgjobs.enqueue('k', run_at => now(), delay => interval '1 second')",
                "run_at, delay: give one of them, not both");
        assertRefused("pgjobs.enqueue('k', tags => array['ok', ''])", "tags: must not be blank");
        assertRefused("pgjobs.enqueue('k', metadata => '[]')", "metadata: must be a JSON object, got array");
        assertRefused("pgjobs.enqueue('k', partition_key => ' ')", "partitionKey: must not be blank");
        assertRefused("pgjobs.enqueue('k', ordering_key => repeat('o', 501))",
                "orderingKey: is 501 characters, over the limit of 500");
        assertRefused("pgjobs.enqueue('k', jsonb_build_object('blob', repeat('x', 1048576)))",
                "args: args of kind 'k' are 1048588 bytes of JSON, over the limit of 1048576 bytes");
    }

    @Test
    void theSampleTriggerEnqueuesWhenAnOrdersStatusChanges() throws Exception {
        db.execute("insert into orders values (42, 'placed')");
        db.execute("update orders set status = 'shipped' where id = 42");

        assertThat(handled.poll(60, TimeUnit.SECONDS)).isEqualTo(new StatusChanged(42, "shipped"));
    }

    @Test
    void theSampleTriggerEnqueuesNothingWhenTheUpdateRollsBack() throws Exception {
        db.execute("insert into orders values (43, 'placed')");
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("update orders set status = 'cancelled' where id = 43");
            assertThat(countJobs(statement, "order-status:43:cancelled")).as("inside the transaction").isOne();
            connection.rollback();
            assertThat(countJobs(statement, "order-status:43:cancelled")).as("after the rollback").isZero();
        }
    }

    private static long countJobs(Statement statement, String key) throws SQLException {
        try (ResultSet rs = statement.executeQuery("select count(*) from pgjobs.jobs where idempotency_key = '" + key + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void assertRefused(String call, String message) {
        assertThatThrownBy(() -> queryLong("select id from " + call))
                .isInstanceOfSatisfying(PSQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo("22023");
                    assertThat(e.getServerErrorMessage().getMessage()).startsWith(message);
                });
    }

    private static long queryLong(String sql) throws SQLException {
        return db.queryLong(sql);
    }
}
