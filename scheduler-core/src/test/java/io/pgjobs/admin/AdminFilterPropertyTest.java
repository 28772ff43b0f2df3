package io.pgjobs.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobState;
import io.pgjobs.Scheduler;
import io.pgjobs.testing.AnyInput;
import io.pgjobs.testing.PgDatabase;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever filter and page an operator (or the dashboard, for them) makes, the admin API either runs it or
 * rejects it with an {@link IllegalArgumentException} naming the parameter: never a database error.
 */
class AdminFilterPropertyTest {
    private static final PgDatabase db = new PgDatabase();
    private static Scheduler scheduler;

    @BeforeContainer
    static void createDatabase() throws Exception {
        db.open();
        scheduler = Scheduler.builder(db.dataSource()).build();
    }

    @AfterContainer
    static void dropDatabase() throws Exception {
        scheduler.close();
        db.close();
    }

    @Property(tries = 150)
    void aFilterRunsOrIsRejectedNamingTheParameter(
            @ForAll("states") Set<JobState> states, @ForAll("text") String queue, @ForAll("text") String kind,
            @ForAll("text") String tag, @ForAll("instants") Instant createdFrom, @ForAll("instants") Instant createdTo,
            @ForAll("instants") Instant finishedFrom, @ForAll("args") String args, @ForAll("pages") Optional<PageRequest> page) {
        Optional<JobFilter> filter = AnyInput.attempt(() -> new JobFilter(states, queue, kind, tag, createdFrom,
                createdTo, finishedFrom, null, args), "queue", "kind", "tag", "createdFrom", "createdTo",
                "finishedFrom", "args");
        if (filter.isPresent() && page.isPresent()) {
            AdminClient admin = scheduler.admin();
            assertThat(admin.jobs(filter.get(), page.get()).jobs()).isEmpty();
            assertThat(admin.count(filter.get(), 10).value()).isZero();
        }
    }

    @Provide
    Arbitrary<Set<JobState>> states() {
        return Arbitraries.of(JobState.class).set().ofMaxSize(3).injectNull(0.1);
    }

    @Provide
    Arbitrary<String> text() {
        return AnyInput.text(20);
    }

    @Provide
    Arbitrary<Instant> instants() {
        return AnyInput.instants();
    }

    @Provide
    Arbitrary<Optional<PageRequest>> pages() {
        return Arbitraries.oneOf(Arbitraries.longs().between(1, 1_000_000), Arbitraries.longs()).injectNull(0.3)
                .flatMap(before -> Arbitraries.oneOf(Arbitraries.integers().between(0, 501), Arbitraries.integers())
                        .map(limit -> AnyInput.attempt(() -> new PageRequest(before, limit), "limit", "before")));
    }

    /** Args predicates: well-formed ones with paths of any depth and values of any kind, and garbage. */
    @Provide
    @SuppressWarnings("unchecked")
    Arbitrary<String> args() {
        Arbitrary<String> name = Arbitraries.strings().withCharRange('a', 'c').ofMinLength(1).ofMaxLength(3);
        Arbitrary<String> path = name.list().ofMinSize(1).ofMaxSize(40).map(names -> String.join(".", names));
        Arbitrary<String> value = Arbitraries.oneOf(
                AnyInput.text(15).filter(s -> s != null).map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""),
                AnyInput.text(15).filter(s -> s != null && !s.isBlank() && !s.contains(" ") && !s.contains("\"")),
                Arbitraries.of("1", "-0", "1e999", "-1e999", "1e-999", "12345678901234567890123", "true", "null",
                        "\"\\u0000\"", "\"\\ud800\"", "\"\\ud83d\\ude00\"", "\"bad\\x\""));
        Arbitrary<String> term = path.flatMap(p -> Arbitraries.of("=", "!=").flatMap(op -> value.map(v -> p + " " + op + " " + v)));
        Arbitrary<String> predicate = term.list().ofMinSize(1).ofMaxSize(3).map(terms -> String.join(" and ", terms));
        return Arbitraries.frequencyOf(Tuple.of(6, predicate), Tuple.of(2, AnyInput.text(40)),
                Tuple.of(1, Arbitraries.strings().withChars("a.=\" ").ofMinLength(900).ofMaxLength(1200)));
    }
}
