package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ScheduleWordingTest {

    private static String describe(String expression) {
        return ScheduleWording.describe(expression).orElse(null);
    }

    @Test
    void theCommonShapesReadAsSentences() {
        assertThat(describe("0 9 * * MON")).isEqualTo("at 09:00 on Mondays");
        assertThat(describe("0 9 * * 1")).isEqualTo("at 09:00 on Mondays");
        assertThat(describe("30 8,17 * * 1-5")).isEqualTo("at 08:30 and 17:30 on weekdays");
        assertThat(describe("0 12 * * 1,3,5,0")).isEqualTo("at 12:00 on Sundays, Mondays, Wednesdays and Fridays");
        assertThat(describe("0 10 * * sat,sun")).isEqualTo("at 10:00 on weekends");
        assertThat(describe("*/15 * * * *")).isEqualTo("every 15 minutes");
        assertThat(describe("* * * * *")).isEqualTo("every minute");
        assertThat(describe("*/5 9-17 * * 1-5")).isEqualTo("every 5 minutes from 09:00 to 17:59 on weekdays");
        assertThat(describe("30 * * * *")).isEqualTo("at minute 30 of every hour");
        assertThat(describe("0 */6 * * *")).isEqualTo("at minute 0 every 6 hours");
        assertThat(describe("0 0 1 * *")).isEqualTo("at 00:00 on the 1st of each month");
        assertThat(describe("15 3 2,22,23 * *")).isEqualTo("at 03:15 on the 2nd, 22nd and 23rd of each month");
        assertThat(describe("0 6 * 1,7 *")).isEqualTo("at 06:00 every day in January and July");
        assertThat(describe("0 0 1 JAN *")).isEqualTo("at 00:00 on the 1st in January");
        assertThat(describe("0 9 * * *")).isEqualTo("at 09:00");
        assertThat(describe("@daily")).isEqualTo("at 00:00");
        assertThat(describe("@weekly")).isEqualTo("at 00:00 on Sundays");
        assertThat(describe("0 9 * * 7")).as("7 is Sunday too").isEqualTo("at 09:00 on Sundays");
    }

    @Test
    void whatItDoesNotReadIsLeftToTheSchedulersDescription() {
        for (String expression : new String[] {"0 0 12 ? * MON", "0 0 12 L * ?", "every 90s", "0 9 1 * MON",
                "0 9 * * 1#2", "0 60 * * *", "0 9 * * FOO", "0 1-30/5 * * *", "0,5,10,15,20,25,30 1,2 * * *", ""}) {
            assertThat(ScheduleWording.describe(expression)).as(expression).isEmpty();
        }
    }
}
