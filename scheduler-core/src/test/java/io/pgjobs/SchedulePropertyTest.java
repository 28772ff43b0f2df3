package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.AnyInput;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Whatever a user passes to make a {@link Schedule}, it is made as given or rejected naming the field. */
class SchedulePropertyTest {

    @Property(tries = 300)
    void aScheduleIsMadeOrRejectedNamingItsField(@ForAll("text") String name, @ForAll("expressions") String expression,
                                                 @ForAll("requests") AnyInput.Request job, @ForAll("text") String zone,
                                                 @ForAll int misfireLimit) {
        Optional<JobRequest> request = job.build();
        if (request.isEmpty()) {
            return;
        }
        Optional<Schedule> schedule = AnyInput.attempt(() -> Schedule.of(name, expression, request.get()),
                "name", "expression", "job");
        schedule.ifPresent(s -> {
            assertThat(s.name()).isEqualTo(name);
            assertThat(s.expression()).isEqualTo(expression.trim());
            AnyInput.attempt(() -> s.timeZone(zone), "timeZone");
            AnyInput.attempt(() -> s.misfireLimit(misfireLimit), "misfireLimit");
        });
    }

    @Provide
    Arbitrary<String> text() {
        return AnyInput.text(30);
    }

    @Provide
    Arbitrary<AnyInput.Request> requests() {
        return AnyInput.requests();
    }

    /** Cron fields from the manuals and beyond them, Quartz and Spring forms, macros and intervals, and garbage. */
    @Provide
    @SuppressWarnings("unchecked")
    Arbitrary<String> expressions() {
        Arbitrary<String> field = Arbitraries.of("*", "0", "5", "59", "60", "*/5", "0/0", "1-5", "22-2", "50-10",
                "1,2,3", "L", "5L", "LW", "W", "31W", "?", "MON", "MON#2", "6#5", "JAN-DEC", "NOV-FEB", "SUN-SAT",
                "99999999999", "-1", ",", "*/0", "\u0000", "x");
        Arbitrary<String> cron = field.list().ofMinSize(1).ofMaxSize(8).map(fields -> String.join(" ", fields));
        Arbitrary<String> special = Arbitraries.of("@daily", "@hourly", "@yearly", "@reboot", "@nope", "every 5m",
                "every 30s", "every 0s", "every -1m", "every 99999999999999999999h", "every 9999999999999h", "every 5x",
                "spring:0 0 12 * * */2", "spring:", "quartz:0 0 12 * * ?", "  @daily  ", "@daily\u0000");
        return Arbitraries.frequencyOf(Tuple.of(5, cron), Tuple.of(2, special), Tuple.of(1, AnyInput.text(30)));
    }
}
