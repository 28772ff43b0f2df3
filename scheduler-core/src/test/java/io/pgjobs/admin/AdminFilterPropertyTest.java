package io.pgjobs.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobState;
import io.pgjobs.Scheduler;
import io.pgjobs.testing.AnyInput;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Tries;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Whatever filter and page an operator (or the dashboard, for them) makes, the admin API either runs it or
 * rejects it with an {@link IllegalArgumentException} naming the parameter: never a database error.
 */
class AdminFilterPropertyTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    private static Scheduler scheduler;

    record Input(Set<JobState> states, String queue, String kind, String tag, Instant createdFrom, Instant createdTo,
                 Instant finishedFrom, String args, Long before, int limit) {}

    @BeforeAll
    static void createScheduler() {
        scheduler = Scheduler.builder(db.dataSource()).build();
    }

    @AfterAll
    static void closeScheduler() {
        scheduler.close();
    }

    @Test
    void aFilterRunsOrIsRejectedNamingTheParameter() {
        Tries.check(150, any -> new Input(states(any), any.text(20), any.text(20), any.text(20), any.instant(),
                any.instant(), any.instant(), args(any), before(any),
                any.number(1, PageRequest.MAX_LIMIT, 0, PageRequest.MAX_LIMIT + 1)), given -> {
            Optional<JobFilter> filter = AnyInput.attempt(() -> new JobFilter(given.states(), given.queue(),
                    given.kind(), given.tag(), given.createdFrom(), given.createdTo(), given.finishedFrom(), null,
                    given.args()), "queue", "kind", "tag", "createdFrom", "createdTo", "finishedFrom", "args");
            Optional<PageRequest> page = AnyInput.attempt(() -> new PageRequest(given.before(), given.limit()),
                    "limit", "before");
            if (filter.isPresent() && page.isPresent()) {
                AdminClient admin = scheduler.admin();
                assertThat(admin.jobs(filter.get(), page.get()).jobs()).isEmpty();
                assertThat(admin.count(filter.get(), 10).value()).isZero();
            }
        });
    }

    private static Set<JobState> states(AnyInput any) {
        if (any.unusual(0.1)) {
            return null;
        }
        Set<JobState> states = EnumSet.noneOf(JobState.class);
        states.addAll(any.listOf(0, 3, () -> any.oneOf(JobState.values())));
        return states;
    }

    private static Long before(AnyInput any) {
        if (any.chance(0.3)) {
            return null;
        }
        return any.unusual(0.5) ? any.anyLong() : any.between(1, 1_000_000);
    }

    /** Args predicates: well-formed ones with paths of any depth and values of any kind, and garbage. */
    private static String args(AnyInput any) {
        if (any.unusual(1 / 3.0)) {
            return any.chance(2 / 3.0) ? any.text(40) : any.string("a.=\" ", 900, 1200);
        }
        return String.join(" and ", any.listOf(1, 3, () -> term(any)));
    }

    private static String term(AnyInput any) {
        String path = String.join(".", any.listOf(1, 40, () -> any.string("abc", 1, 3)));
        return path + " " + any.oneOf("=", "!=") + " " + argsValue(any);
    }

    private static String argsValue(AnyInput any) {
        return switch (any.weighted(1, 1, 1)) {
            case 0 -> "\"" + any.nonNullText(15).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            case 1 -> any.until(() -> any.nonNullText(15), s -> !s.isBlank() && !s.contains(" ") && !s.contains("\""));
            default -> any.oneOf("1", "-0", "1e999", "-1e999", "1e-999", "12345678901234567890123", "true", "null",
                    "\"\\u0000\"", "\"\\ud800\"", "\"\\ud83d\\ude00\"", "\"bad\\x\"");
        };
    }
}
