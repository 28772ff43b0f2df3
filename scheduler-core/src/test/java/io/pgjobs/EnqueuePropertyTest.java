package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgjobs.testing.AnyInput;
import io.pgjobs.testing.PgDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeTry;

/**
 * Whatever requests a user builds, enqueueing them against the real database either stores each job as given or
 * fails with an {@link IllegalArgumentException} naming the job and its field, having written nothing.
 */
class EnqueuePropertyTest {
    private static final PgDatabase db = new PgDatabase();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static JobClient client;

    @BeforeContainer
    static void createDatabase() throws Exception {
        db.open();
        client = Scheduler.builder(db.dataSource()).build().client();
    }

    @AfterContainer
    static void dropDatabase() throws Exception {
        db.close();
    }

    @BeforeTry
    void noJobs() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
    }

    @Property(tries = 60)
    void aBatchIsStoredAsGivenOrRejectedWhole(@ForAll("batches") List<AnyInput.Request> given) throws Exception {
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

    @Provide
    Arbitrary<List<AnyInput.Request>> batches() {
        return AnyInput.requests().list().ofMinSize(1).ofMaxSize(4);
    }
}
