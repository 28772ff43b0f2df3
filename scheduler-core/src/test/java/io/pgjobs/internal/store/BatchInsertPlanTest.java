package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.EnqueueResult;
import io.pgjobs.internal.store.NewJob;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The batch insert is a prepared statement the server plans once, for a few rows, and then runs for batches of
 * any size. A join in it would be planned as a nested loop for those few rows and turn a batch of thousands
 * quadratic (a completion over arrays once took 2.1 s that way), so it must join nothing, and what it answers must
 * still say which row got which id.
 */
class BatchInsertPlanTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private final JobWriter store = new JobWriter(db.dataSource(), PgDatabase.SCHEMA, "pgjobs_pgjobs", Duration.ofSeconds(30));

    @Test
    void theGenericPlanJoinsNothing() throws Exception {
        String sql = store.insertSql;
        for (int n = 1; sql.contains("?"); n++) {
            sql = sql.replaceFirst("\\?", "\\$" + n);
        }
        List<String> plan = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("prepare batch_insert as " + sql);
            s.execute("set plan_cache_mode = force_generic_plan");
            try (ResultSet rs = s.executeQuery("explain (costs off) execute batch_insert('{k,k}', '{q,q}', '{5,5}', "
                    + "'{null,null}', '{0,0}', '{20,20}', '{\"{}\",\"{}\"}', '{null,a}', '{\"{}\",\"{}\"}', '{\"{}\",\"{}\"}', "
                    + "'{null,u}', '{0,0}', '{null,\"{available}\"}', '{null,null}', '{null,null}', 'c')")) {
                while (rs.next()) {
                    plan.add(rs.getString(1));
                }
            }
        }
        assertThat(plan).as("the generic plan").anyMatch(line -> line.contains("Insert on jobs"))
                .noneMatch(line -> line.contains("Join") || line.contains("Nested Loop"));
        // the one subplan: whether a node polls the queue (BusyQueueStore), once per queue notified, not per job
        assertThat(plan.stream().filter(line -> line.trim().startsWith("SubPlan"))).as("the generic plan's subplans")
                .hasSize(1);
        assertThat(plan).anyMatch(line -> line.contains("on busy_queues"));
    }

    @Test
    void underTheGenericPlanEveryRowGetsItsIdAndRepeatedKeysResolveToOneJob() throws Exception {
        long existing;
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            existing = store.insert(c, List.of(job("before", "old"))).getFirst().id();
            s.execute("set plan_cache_mode = force_generic_plan");
            for (int round = 0; round < 3; round++) {
                List<NewJob> batch = new ArrayList<>();
                for (int i = 0; i < 3_000; i++) {
                    batch.add(job("job " + i, i % 1000 == 7 ? "key " + round + "/" + i : null));
                }
                batch.add(job("repeat 1", "repeated " + round));
                batch.add(job("repeat 2", "repeated " + round));
                batch.add(job("old key", "old"));

                List<EnqueueResult> results = store.insert(c, batch);

                Map<Long, String> texts = texts();
                for (int i = 0; i < 3_000; i++) {
                    assertThat(results.get(i).duplicate()).isFalse();
                    assertThat(texts.get(results.get(i).id())).isEqualTo("job " + i);
                }
                assertThat(texts.get(results.get(3_000).id())).isEqualTo("repeat 1");
                assertThat(results.get(3_001)).isEqualTo(new EnqueueResult(results.get(3_000).id(), true));
                assertThat(results.get(3_002)).isEqualTo(new EnqueueResult(existing, true));
            }
        }
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isEqualTo(1 + 3 * 3_001);
    }

    private static NewJob job(String text, String key) {
        return new NewJob("k", "q", 5, null, 0, 20, "{\"text\": \"" + text + "\"}", key, List.of(), "{}");
    }

    private static Map<Long, String> texts() throws Exception {
        Map<Long, String> texts = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id, args->>'text' from pgjobs.jobs")) {
            while (rs.next()) {
                texts.put(rs.getLong(1), rs.getString(2));
            }
        }
        return texts;
    }
}
