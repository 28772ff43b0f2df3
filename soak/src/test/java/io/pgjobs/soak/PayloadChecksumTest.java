package io.pgjobs.soak;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Scheduler;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A job whose args were changed after it was enqueued (here by hand, in the database) is discarded by pgjobs'
 * own payload check (V34) with the checksum error, without its handler running, and the checker reports it; an
 * intact one completes.
 */
class PayloadChecksumTest {
    @Test
    void aDamagedPayloadIsDiscardedAndReported() throws Exception {
        try (SoakDatabase database = SoakDatabase.embedded()) {
            Scheduler scheduler = Scheduler.builder(database.dataSource())
                    .migrateOnStart(false)
                    .queue("default", 2)
                    .handler(SoakJobs.Work.class, ctx -> SoakJobs.work(database.dataSource(), ctx))
                    .build();
            List<Long> ids = scheduler.client().enqueueAll(List.of(
                    io.pgjobs.JobRequest.of(new SoakJobs.Work(0, 0, 1)),
                    io.pgjobs.JobRequest.of(new SoakJobs.Work(0, 0, 2)))).stream().map(r -> r.id()).toList();
            long intact = ids.get(0);
            long damaged = ids.get(1);
            execute(database, "update pgjobs.jobs set args = jsonb_set(args, '{key}', '3') where id = " + damaged);
            try (scheduler) {
                scheduler.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (count(database, "select count(*) from pgjobs.jobs where state in ('completed', 'discarded')") < 2
                        && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(50); // polling the condition, up to the deadline
                }
            }
            assertThat(count(database, "select count(*) from pgjobs.jobs where state = 'completed' and id = " + intact))
                    .isEqualTo(1);
            assertThat(count(database, "select count(*) from pgjobs.jobs where state = 'discarded' and id = " + damaged
                    + " and last_error like '%" + SoakJobs.CHECKSUM_MISMATCH + "%'")).as("the damaged job").isEqualTo(1);
            assertThat(count(database, "select count(*) from soak.executions where job_id = " + damaged))
                    .as("the damaged job's handler did nothing").isZero();
            assertThat(new InvariantChecker(database.dataSource(), 2).check())
                    .extracting(InvariantChecker.Violation::jobId, v -> v.what().substring(0, v.what().indexOf(':')))
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(damaged, "payloads arrive intact"));
        }
    }

    private static void execute(SoakDatabase database, String sql) throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static long count(SoakDatabase database, String sql) throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
