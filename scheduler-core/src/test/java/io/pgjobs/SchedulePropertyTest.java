package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.AnyInput;
import io.pgjobs.testing.Tries;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Whatever a user passes to make a {@link Schedule}, it is made as given or rejected naming the field. */
class SchedulePropertyTest {
    private static final List<String> CRON_FIELDS = List.of("*", "0", "5", "59", "60", "*/5", "0/0", "1-5", "22-2",
            "50-10", "1,2,3", "L", "5L", "LW", "W", "31W", "?", "MON", "MON#2", "6#5", "JAN-DEC", "NOV-FEB",
            "SUN-SAT", "99999999999", "-1", ",", "*/0", "\u0000", "x");
    private static final List<String> SPECIAL = List.of("@daily", "@hourly", "@yearly", "@reboot", "@nope",
            "every 5m", "every 30s", "every 0s", "every -1m", "every 99999999999999999999h", "every 9999999999999h",
            "every 5x", "spring:0 0 12 * * */2", "spring:", "quartz:0 0 12 * * ?", "  @daily  ", "@daily\u0000");

    record Input(String name, String expression, AnyInput.Request job, String zone, int misfireLimit) {}

    @Test
    void aScheduleIsMadeOrRejectedNamingItsField() {
        // most jobs leave what a schedule sets itself unset, or hardly any schedule would be made
        Tries.check(300, any -> new Input(any.text(30), expression(any),
                any.chance(0.75) ? any.request().unscheduled() : any.request(), any.text(30),
                any.number(1, Schedule.MAX_MISFIRE_LIMIT, 0, Schedule.MAX_MISFIRE_LIMIT + 1)),
                given -> {
                    Optional<JobRequest> request = given.job().build();
                    if (request.isEmpty()) {
                        return;
                    }
                    Optional<Schedule> schedule = AnyInput.attempt(
                            () -> Schedule.of(given.name(), given.expression(), request.get()), "name", "expression", "job");
                    schedule.ifPresent(s -> {
                        assertThat(s.name()).isEqualTo(given.name());
                        assertThat(s.expression()).isEqualTo(given.expression().trim());
                        AnyInput.attempt(() -> s.timeZone(given.zone()), "timeZone");
                        AnyInput.attempt(() -> s.misfireLimit(given.misfireLimit()), "misfireLimit");
                    });
                });
    }

    /** Cron fields from the manuals and beyond them, Quartz and Spring forms, macros and intervals, and garbage. */
    private static String expression(AnyInput any) {
        return switch (any.weighted(5, 2, 1)) {
            case 0 -> String.join(" ", any.listOf(1, 8, () -> any.oneOf(CRON_FIELDS)));
            case 1 -> any.oneOf(SPECIAL);
            default -> any.text(30);
        };
    }
}
