package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Rate limits with several nodes in one JVM. The starts are read from the attempts (database time, the time the
 * claims counted with), and checked against the rate's own bound: over any span d, at most burst + d / interval
 * starts. How fast the jobs ran on this machine is not asserted.
 */
class RateLimitTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.rated")
    record Call(String tenant, int n) {}

    @BeforeEach
    void forgetRates() throws Exception {
        db.execute("delete from pgjobs.rate_limits");
    }

    private Scheduler.Builder node(String id, RateLimit rate) {
        return Scheduler.builder(db.dataSource()).nodeId(id).migrateOnStart(false)
                .queue("rated", 5)
                .pollInterval(Duration.ofMillis(200))
                .rateLimit("rated", rate)
                .handler(Call.class, ctx -> null);
    }

    private static List<JobRequest> calls(int count, int tenants) {
        List<JobRequest> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            calls.add(JobRequest.of(new Call("t" + (i % tenants), i)).queue("rated"));
        }
        return calls;
    }

    /** Start times in microseconds of the database's clock, by tenant (one list for all when not by tenant). */
    private static Map<String, List<Long>> starts(boolean byTenant) throws Exception {
        Map<String, List<Long>> starts = new LinkedHashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select j.args->>'tenant', (extract(epoch from a.started_at) * 1000000)::bigint "
                     + "from pgjobs.attempts a join pgjobs.jobs j on j.id = a.job_id order by a.started_at")) {
            while (rs.next()) {
                starts.computeIfAbsent(byTenant ? rs.getString(1) : "all", k -> new ArrayList<>()).add(rs.getLong(2));
            }
        }
        return starts;
    }

    /** Over every span between two starts, no more starts than the rate allows. */
    private static void assertWithinRate(List<Long> starts, RateLimit rate) {
        double intervalMicros = rate.intervalMillis() * 1000;
        for (int i = 0; i < starts.size(); i++) {
            for (int j = i + 1; j < starts.size(); j++) {
                long span = starts.get(j) - starts.get(i);
                int count = j - i + 1;
                assertThat(count).as("starts within %d µs (from start %d)", span, i)
                        .isLessThanOrEqualTo((int) Math.floor(rate.burst() + (span + 1) / intervalMicros));
            }
        }
    }

    @Test
    void threeNodesStartNoMoreThanTheRateAllowsOverAnySpan() throws Exception {
        RateLimit rate = RateLimit.of(50, Duration.ofSeconds(1)); // one every 20 ms
        Scheduler a = schedulers.start(node("a", rate));
        schedulers.start(node("b", rate));
        schedulers.start(node("c", rate));
        a.client().enqueueAll(calls(40, 1));

        Await.until(Duration.ofSeconds(60), "40 calls completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 40);
        List<Long> all = starts(false).get("all");
        assertThat(all).hasSize(40);
        assertWithinRate(all, rate);
    }

    @Test
    void eachPartitionHasItsOwnRateWithItsBurst() throws Exception {
        RateLimit rate = RateLimit.of(20, Duration.ofSeconds(1)).burst(3).perPartition(PartitionKey.args("tenant"));
        Scheduler a = schedulers.start(node("a", rate));
        schedulers.start(node("b", rate));
        a.client().enqueueAll(calls(30, 2));

        Await.until(Duration.ofSeconds(60), "30 calls completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 30);
        Map<String, List<Long>> byTenant = starts(true);
        assertThat(byTenant).containsOnlyKeys("t0", "t1");
        byTenant.values().forEach(starts -> assertWithinRate(starts, rate));
    }

    @Test
    void eachSettingIsValidatedWhereItIsSet() {
        assertThatThrownBy(() -> RateLimit.of(0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rateLimit: count 0");
        assertThatThrownBy(() -> RateLimit.of(10, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rateLimit: period");
        assertThatThrownBy(() -> RateLimit.of(10, Duration.ofSeconds(1)).burst(11))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("burst 11 is out of range 1..10");
        Scheduler.Builder builder = Scheduler.builder(db.dataSource()).queue("q", 2);
        assertThatThrownBy(() -> builder.rateLimit("other", RateLimit.of(1, Duration.ofSeconds(1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rateLimit: queue 'other'");
        builder.partitionLimit("q", PartitionKey.args("customer"), 1);
        assertThatThrownBy(() -> builder.rateLimit("q",
                RateLimit.of(1, Duration.ofSeconds(1)).perPartition(PartitionKey.args("tenant"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must use the same key");
        builder.rateLimit("q", RateLimit.of(1, Duration.ofSeconds(1)).perPartition(PartitionKey.args("customer")));
        assertThatThrownBy(() -> builder.rateLimit("q", RateLimit.of(2, Duration.ofSeconds(1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already has a rate limit");
    }
}
