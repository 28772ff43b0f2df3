package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.admin.JobFilter;
import io.pgjobs.testing.PgDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The inputs that used to slip past validation (issue 17): each is rejected with an IllegalArgumentException
 * naming its field before anything reaches the database, and a rejected enqueue writes nothing.
 */
class InputValidationTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private JobClient client;

    @BeforeEach
    void setUp() throws Exception {
        db.execute("truncate pgjobs.jobs, pgjobs.attempts");
        client = Scheduler.builder(db.dataSource()).build().client();
    }

    private static JobRequest job() {
        return JobRequest.of("test.input", Map.of("n", 1));
    }

    @Test
    void runAtOutsidePostgresqlsRangeIsRejectedAtTheSetter() {
        for (Instant bad : List.of(Instant.MAX, Instant.MIN, Instant.parse("-5000-06-01T00:00:00Z"),
                Instant.parse("+10000-01-01T00:00:00Z"), JobRequest.MIN_RUN_AT.minusNanos(1))) {
            assertThatThrownBy(() -> job().runAt(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("runAt: " + bad + " is outside the supported range");
        }
        assertThat(job().runAt(JobRequest.MAX_RUN_AT).runAt()).isEqualTo(JobRequest.MAX_RUN_AT);
    }

    @Test
    void aDelayOverTheLimitIsRejectedAtTheSetter() {
        assertThatThrownBy(() -> job().delay(Duration.ofDays(365L * 300_000))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("delay: ").hasMessageContaining("over the limit");
        assertThatThrownBy(() -> job().delay(Duration.ofSeconds(Long.MAX_VALUE))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("delay: ");
        assertThatThrownBy(() -> new SnoozeException(Duration.ofDays(365L * 300_000)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("delay: ");
    }

    @Test
    void nulCharactersAndLoneSurrogatesAreRejectedNamingTheField() {
        assertThatThrownBy(() -> JobRequest.of("kind\u0000", Map.of())).hasMessageStartingWith("kind: contains the character U+0000");
        assertThatThrownBy(() -> job().queue("q\u0000")).hasMessageStartingWith("queue: contains the character U+0000");
        assertThatThrownBy(() -> job().tags("ok", "t\u0000")).hasMessageStartingWith("tags: contains the character U+0000");
        assertThatThrownBy(() -> job().idempotencyKey("\u0000k")).hasMessageStartingWith("idempotencyKey: contains");
        assertThatThrownBy(() -> job().metadata("k\u0000", 1)).hasMessageStartingWith("metadata key: contains");
        assertThatThrownBy(() -> job().tags("\uD800x")).hasMessageStartingWith("tags: contains a lone UTF-16 surrogate");
        assertThat(job().tags("ok").tags()).containsExactly("ok"); // a rejected call added no tag
    }

    @Test
    void nullArgsGetAClearMessage() {
        assertThatThrownBy(() -> JobRequest.of("kind", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("args: must not be null");
        assertThatThrownBy(() -> JobRequest.of(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("args: must not be null");
        assertThatThrownBy(() -> job().runAt(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("runAt: must not be null");
    }

    @Test
    void pgjobsOwnMetadataKeysAreReserved() {
        assertThatThrownBy(() -> job().metadata("pgjobs.schedule", "nightly")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("metadata key: 'pgjobs.schedule' is reserved");
        assertThat(job().metadata("pgjobsx", 1).metadata()).containsKey("pgjobsx");
    }

    @Test
    void nulInArgsOrMetadataJsonIsRejectedAndNothingIsWritten() throws Exception {
        assertThatThrownBy(() -> client.enqueue(JobRequest.of("test.input", Map.of("text", "a\u0000b"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("args: contains the character U+0000");
        assertThatThrownBy(() -> client.enqueue(job().metadata("note", List.of("x\u0000"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("metadata: contains the character U+0000");
        // the text backslash-u-0000 is ordinary text, stored as given
        long id = client.enqueue(JobRequest.of("test.input", Map.of("text", "\\u0000"))).id();
        assertThat(client.get(id).orElseThrow().args()).isEqualTo("{\"text\": \"\\\\u0000\"}");
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isEqualTo(1);
    }

    @Test
    void aBadJobInABatchIsNamedByItsIndexAndNothingIsWritten() throws Exception {
        List<JobRequest> batch = List.of(job(), job(), JobRequest.of("test.input", Map.of("text", "\u0000")), job());
        assertThatThrownBy(() -> client.enqueueAll(batch)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("requests[2]: args: contains the character U+0000");
        assertThatThrownBy(() -> client.enqueueAll(java.util.Arrays.asList(job(), null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("requests[1]: request: must not be null");
        assertThat(db.queryLong("select count(*) from pgjobs.jobs")).isZero();
    }

    @Test
    void aLongBadValueIsQuotedCutInItsError() {
        String longName = "n".repeat(10_000);
        List<ThrowingCallable> refusals = List.of(
                () -> Scheduler.builder(db.dataSource()).nodeId(longName),
                () -> Scheduler.builder(db.dataSource()).queue(longName, 1),
                () -> Schedule.of(longName, "@daily", "test.input", Map.of()));
        for (ThrowingCallable refusal : refusals) {
            assertThatThrownBy(refusal).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + "n".repeat(60) + "... (10000 characters)'")
                    .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300));
        }
        // cut between code points: the 60th character is a whole emoji, not half of its surrogate pair
        assertThatThrownBy(() -> Scheduler.builder(db.dataSource()).nodeId("n".repeat(59) + "\uD83D\uDE00".repeat(200)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + "n".repeat(59) + "\uD83D\uDE00... (259 characters)'");
        String deepPath = "n".repeat(20) + ("." + "n".repeat(20)).repeat(40);
        assertThatThrownBy(() -> filter(null, deepPath + " = 1", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("... (860 characters) has 41 names")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300));
    }

    @Test
    void theAdminFiltersRejectWhatPostgresqlCannotTake() {
        assertThatThrownBy(() -> filter(null, null, Instant.MAX)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("createdFrom: ");
        assertThatThrownBy(() -> filter("q\u0000", null, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("queue: contains the character U+0000");
        assertThatThrownBy(() -> filter(null, "plan = \"a\\u0000\"", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("args: contains the character U+0000");
        assertThatThrownBy(() -> filter(null, "n = 1e200000", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("args: the number 1E+200000 is out of range of PostgreSQL's numeric "
                        + "(131072 digits before the point, 16383 after it)");
        assertThatThrownBy(() -> filter(null, "n = 1e-16384", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("args: the number 1E-16384 is out of range");
        String deepPath = "a" + ".a".repeat(40) + " = 1";
        assertThatThrownBy(() -> filter(null, deepPath, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("args: the path ").hasMessageContaining("over the limit of 32");
        // long enough to overflow the stack of the pattern's recursion, had it been matched
        String longPath = "a" + ".a".repeat(50_000) + " = 1";
        String longValue = "a = \"" + "x".repeat(100_000) + "\"";
        for (String tooLong : List.of(longPath, longValue)) {
            assertThatThrownBy(() -> filter(null, tooLong, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("args: the filter is ").hasMessageContaining("over the limit of 1000");
        }
    }

    private static JobFilter filter(String queue, String args, Instant createdFrom) {
        return new JobFilter(null, queue, null, null, createdFrom, null, null, null, args);
    }

    @Test
    void theBuildersNamesMustBeStorable() {
        assertThatThrownBy(() -> Scheduler.builder(db.dataSource()).queue("q\u0000", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("queue: contains the character U+0000");
        assertThatThrownBy(() -> Scheduler.builder(db.dataSource()).handler("k\u0000", Map.class, ctx -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("handler: kind: contains");
        assertThatThrownBy(() -> Scheduler.builder(db.dataSource()).nodeId("n\uD800"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("nodeId: contains a lone");
    }

    @Test
    void aScheduleNameMustBeStorable() {
        assertThatThrownBy(() -> Schedule.of("nightly\u0000", "@daily", job())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("name: contains the character U+0000");
        assertThatThrownBy(() -> Schedule.of("nightly", "@daily", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("job: must not be null");
    }

    @Test
    void aScheduleTimeZoneMustNotBeNull() {
        assertThatThrownBy(() -> Schedule.of("nightly", "@daily", job()).timeZone((String) null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("timeZone: must not be null");
    }
}
