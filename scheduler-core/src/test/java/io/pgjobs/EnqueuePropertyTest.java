package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgjobs.testing.AnyInput;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Tries;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Whatever requests a user builds, enqueueing them against the real database either stores each job as given or
 * fails with an {@link IllegalArgumentException} naming the job and its field, having written nothing.
 */
class EnqueuePropertyTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Scheduler scheduler;
    private static JobClient client;

    @BeforeAll
    static void createScheduler() {
        scheduler = Scheduler.builder(db.dataSource()).build();
        client = scheduler.client();
    }

    @AfterAll
    static void closeScheduler() {
        scheduler.close();
    }

    @Test
    void aBatchIsStoredAsGivenOrRejectedWhole() {
        Tries.check(60, any -> any.listOf(1, 4, any::request), given -> {
            // every try starts from no jobs, so that "written nothing" means a count of zero
            db.execute("truncate pgjobs.jobs, pgjobs.attempts");
            List<JobRequest> requests = given.stream().map(AnyInput.Request::build).flatMap(Optional::stream).toList();
            List<EnqueueResult> results;
            try {
                results = requests.size() == 1 ? List.of(client.enqueue(requests.getFirst())) : client.enqueueAll(requests);
            } catch (IllegalArgumentException e) {
                AnyInput.requireNaming(e, requests.size() == 1 ? new String[] {"args", "metadata"}
                        : IntStream.range(0, requests.size()).mapToObj(i -> "requests[" + i + "]")
                                .toArray(String[]::new));
                assertThat(db.queryLong("select count(*) from pgjobs.jobs")).as("jobs written").isZero();
                return;
            }
            for (int i = 0; i < requests.size(); i++) {
                if (!results.get(i).duplicate()) {
                    assertStoredAsGiven(requests.get(i), client.get(results.get(i).id()).orElseThrow());
                }
            }
        });
    }

    private static void assertStoredAsGiven(JobRequest request, Job job) throws Exception {
        assertThat(job.kind()).isEqualTo(request.kind());
        assertThat(job.queue()).isEqualTo(request.queue());
        assertThat(job.priority()).isEqualTo(request.priority());
        assertThat(job.maxAttempts()).isEqualTo(request.maxAttempts());
        assertThat(job.idempotencyKey()).isEqualTo(request.idempotencyKey());
        assertThat(job.tags()).isEqualTo(request.tags());
        assertThat(JSON.readTree(job.args())).isEqualTo(asRead(request.args()));
        assertThat(JSON.readTree(job.metadata())).isEqualTo(asRead(request.metadata()));
        if (request.runAt() != null) {
            // PostgreSQL keeps microseconds
            assertThat(Duration.between(request.runAt(), job.runAt()).abs()).isLessThan(Duration.ofNanos(1000));
        }
    }

    /** {@code value} as JSON read back, so that numbers compare as parsed (0 is an int, not a long). */
    private static JsonNode asRead(Object value) throws Exception {
        return JSON.readTree(JSON.writeValueAsString(value));
    }
}
