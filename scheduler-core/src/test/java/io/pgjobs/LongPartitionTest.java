package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.admin.PageRequest;
import io.pgjobs.admin.PartitionCircuitInfo;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A partition taken from an args path has no length limit, but every table and index that keys on a partition
 * (jobs_flow_running, flow_running_tallies, rate_limits, partition_circuits) holds at most about 2,700 bytes an
 * entry: a value longer than the bound (1,500 bytes) is the partition {@code sha256:<hex>} of the whole value
 * (docs/flow-control.md, "Long partition values"). One job with such a value among ordinary ones, for each thing
 * that keys on it: the ordinary jobs complete, and so does the long one, in its own partition.
 */
class LongPartitionTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.long-partition")
    record Tenanted(Object tenant, int n) {}

    /** Random letters and digits: incompressible enough that PostgreSQL stores the value at its full length. */
    private static String longValue(long seed, int length) {
        Random random = new Random(seed);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        StringBuilder value = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            value.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return value.toString();
    }

    /** The partition docs/flow-control.md says a long value becomes, computed here independently of the SQL. */
    private static String digest(String value) {
        try {
            return "sha256:" + HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static final String LONG = longValue(1, 10_000);
    /** The same as LONG but for its last character: a different partition (the digest is of the whole value). */
    private static final String LONG_TWIN = LONG.substring(0, LONG.length() - 1) + (LONG.endsWith("A") ? "B" : "A");

    /** A JSON object of about 6,000 characters as the value at the path. */
    private static Map<String, String> longObject() {
        Map<String, String> object = new LinkedHashMap<>();
        for (int i = 0; i < 40; i++) {
            object.put("field" + i, longValue(100 + i, 140));
        }
        return object;
    }

    @BeforeEach
    void forgetFlowState() throws Exception {
        db.execute("delete from pgjobs.partition_circuits; delete from pgjobs.rate_limits");
    }

    private static List<JobRequest> ordinaryJobs(String queue, int count) {
        List<JobRequest> jobs = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            jobs.add(JobRequest.of(new Tenanted("tenant-" + (n % 4), n)).queue(queue));
        }
        return jobs;
    }

    private static long unfinished() throws Exception {
        return db.queryLong("select count(*) from pgjobs.jobs where state <> 'completed'");
    }

    private static String flowPartitionOf(int n) throws Exception {
        try (var c = db.connect(); var s = c.prepareStatement(
                "select flow_partition from pgjobs.jobs where (args ->> 'n')::int = ?")) {
            s.setInt(1, n);
            try (var rs = s.executeQuery()) {
                assertThat(rs.next()).as("job %d", n).isTrue();
                return rs.getString(1);
            }
        }
    }

    @Test
    void aPartitionLimitedQueueRunsEveryJobWithLongValuesEachInThePartitionOfItsDigest() throws Exception {
        Scheduler node = schedulers.start(Scheduler.builder(db.dataSource()).nodeId("a").migrateOnStart(false)
                .queue("limited", 4)
                .partitionLimit("limited", PartitionKey.args("tenant"), 1)
                .pollInterval(Duration.ofMillis(100))
                .handler(Tenanted.class, ctx -> null));
        node.client().enqueue(JobRequest.of(new Tenanted(LONG, 1000)).queue("limited"));
        node.client().enqueueAll(ordinaryJobs("limited", 20));
        node.client().enqueueAll(List.of(JobRequest.of(new Tenanted(LONG, 1001)).queue("limited"),
                JobRequest.of(new Tenanted(LONG_TWIN, 1002)).queue("limited"),
                JobRequest.of(new Tenanted(longObject(), 1003)).queue("limited")));

        Await.until(Duration.ofSeconds(60), "every job completed", () -> unfinished() == 0);
        assertThat(flowPartitionOf(1000)).isEqualTo(digest(LONG)).isEqualTo(flowPartitionOf(1001));
        assertThat(flowPartitionOf(1002)).isEqualTo(digest(LONG_TWIN));
        assertThat(flowPartitionOf(1003)).startsWith("sha256:").hasSize(71);
        assertThat(flowPartitionOf(3)).isEqualTo("tenant-3");
        assertThat(db.queryLong("select coalesce(sum(running), 0) from pgjobs.flow_running"))
                .as("jobs counted running").isZero();
        assertThat(db.queryLong("select count(distinct partition) from pgjobs.flow_running where queue = 'limited'"))
                .as("partitions counted: 4 tenants, LONG, its twin, the object").isEqualTo(7);
    }

    @Test
    void aRatePerPartitionRunsEveryJobWithALongValueUnderTheRateOfItsDigest() throws Exception {
        Scheduler node = schedulers.start(Scheduler.builder(db.dataSource()).nodeId("a").migrateOnStart(false)
                .queue("rated", 4)
                .rateLimit("rated", RateLimit.of(1000, Duration.ofSeconds(1)).burst(10)
                        .perPartition(PartitionKey.args("tenant")))
                .pollInterval(Duration.ofMillis(100))
                .handler(Tenanted.class, ctx -> null));
        node.client().enqueue(JobRequest.of(new Tenanted(LONG, 1000)).queue("rated"));
        node.client().enqueueAll(ordinaryJobs("rated", 20));

        Await.until(Duration.ofSeconds(60), "every job completed", () -> unfinished() == 0);
        assertThat(flowPartitionOf(1000)).isEqualTo(digest(LONG));
        assertThat(db.queryLong("select count(*) from pgjobs.rate_limits where queue = 'rated' and partition = '"
                + digest(LONG) + "'")).as("the long value's rate, kept under its digest").isOne();
    }

    @Test
    void aCircuitPerPartitionOpensForALongValueUnderItsDigestAndTheOperatorActsOnItByEitherName() throws Exception {
        Scheduler node = schedulers.start(Scheduler.builder(db.dataSource()).nodeId("a").migrateOnStart(false)
                .queue("default", 4)
                .pollInterval(Duration.ofMillis(100))
                .retryPolicy(attempt -> Duration.ofMillis(10))
                .handler(Tenanted.class, ctx -> {
                    if (LONG.equals(ctx.args().tenant())) {
                        throw new IllegalStateException("the long tenant's partner is down");
                    }
                    return null;
                })
                .circuitBreaker("test.long-partition", CircuitBreaker.afterConsecutiveFailures(2)
                        .coolDown(Duration.ofHours(1)).perPartition(PartitionKey.args("tenant"))));
        long longJob = node.client().enqueue(JobRequest.of(new Tenanted(LONG, 1000)).maxAttempts(10)).id();
        node.client().enqueueAll(ordinaryJobs("default", 20));

        Await.until(Duration.ofSeconds(60), "the long value's circuit opened", () -> node.admin().partitionCircuits()
                .stream().anyMatch(c -> c.partition().equals(digest(LONG)) && c.state().equals("open")));
        Await.until(Duration.ofSeconds(60), "every ordinary job completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 20);
        Await.until(Duration.ofSeconds(60), "the long value's job is not running",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'running'") == 0);
        long attemptsWhenOpen = db.queryLong("select attempt from pgjobs.jobs where id = " + longJob);
        assertThat(attemptsWhenOpen).as("attempts of the long value's job").isGreaterThanOrEqualTo(2);
        node.client().enqueueAll(ordinaryJobs("default", 20));
        Await.until(Duration.ofSeconds(60), "the ordinary jobs enqueued after it opened completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 40);
        assertThat(db.queryLong("select attempt from pgjobs.jobs where id = " + longJob))
                .as("attempts of the long value's job, which waits behind its open circuit")
                .isEqualTo(attemptsWhenOpen);

        // the operator names the partition by its value or by the digest the flow page shows: the same circuit
        node.admin().closePartitionCircuit("ops", "test.long-partition", LONG);
        assertThat(node.admin().partitionCircuits()).extracting(PartitionCircuitInfo::partition)
                .doesNotContain(digest(LONG));
        node.admin().openPartitionCircuit("ops", "test.long-partition", digest(LONG), Duration.ofHours(1));
        assertThat(node.admin().partitionCircuits()).extracting(PartitionCircuitInfo::partition)
                .containsExactly(digest(LONG));
        node.admin().resetPartitionCircuit("ops", "test.long-partition", LONG);
        assertThat(db.queryLong("select count(*) from pgjobs.partition_circuits")).as("circuits left").isEqualTo(4);
        assertThat(node.admin().audit(PageRequest.first(3))).allSatisfy(entry ->
                assertThat(entry.detail()).contains(digest(LONG)).doesNotContain(LONG.substring(0, 100)));
    }
}
