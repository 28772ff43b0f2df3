package io.pgjobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cold floor's worker does a node's database work: every job claimed once, completed, its attempt written. */
class FloorWorkerTest {
    @Test
    void theFloorWorkerCompletesEveryJobOnceWithItsAttemptRow() throws Exception {
        try (BenchDatabase server = BenchDatabase.start(BenchOptions.parse(new String[0]))) {
            String url = server.fresh("floor_test");
            // more than one claim of 100, and a last claim that is not full
            BenchDatabase.enqueueNoops(url, 1_050);
            NodeJvm worker = NodeJvm.startFloor(url, 16, List.of());
            try {
                BenchDatabase.awaitDrained(url, Duration.ofMinutes(2));
            } finally {
                worker.stop();
            }
            try (HikariDataSource pool = BenchDatabase.pool(url, 1)) {
                assertThat(BenchDatabase.completedAfter(pool, 0).jobs()).isEqualTo(1_050);
                assertThat(BenchDatabase.queryLong(pool, """
                        select count(*) from pgjobs.jobs j join pgjobs.attempts a on a.job_id = j.id
                        where j.attempt = 1 and a.attempt = 1 and a.outcome = 'completed' and a.node_id = 'cold-floor'
                          and j.finished_at is not null and a.finished_at = j.finished_at""")).isEqualTo(1_050);
                assertThat(BenchDatabase.queryLong(pool, "select count(*) from pgjobs.attempts")).isEqualTo(1_050);
            }
        }
    }
}
