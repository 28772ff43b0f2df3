package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Three schedulers in one JVM share 10,000 jobs on three queues: each runs exactly once, none is left. */
class ManySchedulersTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @JobKind("test.count")
    record Count(int n) {}

    @Test
    void everyJobRunsExactlyOnce() throws Exception {
        db.execute("create table runs (job_id bigint not null, node text not null)");
        List<Scheduler> schedulers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            schedulers.add(Scheduler.builder(db.dataSource())
                    .nodeId("node-" + i)
                    .queue("alpha", 8).queue("beta", 4).queue("gamma", 2)
                    .pollInterval(Duration.ofMillis(200))
                    .handler(Count.class, ctx -> {
                        try (Connection c = db.dataSource().getConnection();
                             PreparedStatement ps = c.prepareStatement("insert into runs values (?, ?)")) {
                            ps.setLong(1, ctx.jobId());
                            ps.setString(2, ctx.nodeId());
                            ps.executeUpdate();
                        }
                        return null;
                    })
                    .build());
        }
        schedulers.forEach(Scheduler::start);
        String[] queues = {"alpha", "beta", "gamma"};
        List<JobRequest> batch = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            batch.add(JobRequest.of(new Count(i)).queue(queues[i % 3]));
            if (batch.size() == 1_000) {
                schedulers.get(i % 3).client().enqueueAll(batch);
                batch = new ArrayList<>();
            }
        }

        Await.until(Duration.ofSeconds(120), "all jobs completed",
                () -> db.queryLong("select count(*) from pgjobs.jobs where state = 'completed'") == 10_000);
        schedulers.forEach(Scheduler::close);

        assertThat(db.queryLong("select count(*) from runs")).isEqualTo(10_000);
        assertThat(db.queryLong("select count(distinct job_id) from runs")).isEqualTo(10_000);
        assertThat(db.queryLong("select count(*) from pgjobs.attempts")).isEqualTo(10_000);
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where state <> 'completed'")).isZero();
        assertThat(db.queryLong("select count(distinct node) from runs")).isEqualTo(3);
    }
}
