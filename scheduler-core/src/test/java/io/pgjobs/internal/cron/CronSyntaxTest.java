package io.pgjobs.internal.cron;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Bad expressions are rejected with the offending field and the parser's reason. */
class CronSyntaxTest {

    private static void rejects(String expression, String... fragments) {
        var thrown = assertThatThrownBy(() -> CronSyntax.parse(expression, ZoneOffset.UTC))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("expression: ");
        for (String fragment : fragments) {
            thrown.hasMessageContaining(fragment);
        }
    }

    @Test
    void namesTheOffendingFieldAndTheReason() {
        rejects("0 25 * * *", "Unix", "hour field '25'", "Value 25 not in range [0, 23]");
        rejects("0 0 12 ? * 9", "Quartz", "day-of-week field '9'", "Value 9 not in range [1, 7]");
        rejects("61 * * * * ?", "Quartz", "second field '61'", "not in range");
        rejects("0 0 * * FOO", "Unix", "day-of-week field 'FOO'", "Invalid chars");
        rejects("spring: 0 0 9 * * MON-XYZ", "Spring", "day-of-week field 'MON-XYZ'");
        rejects("0 0 12 * * ? 1960", "Quartz", "year field '1960'");
    }

    @Test
    void explainsQuartzDayFieldsThatClash() {
        rejects("0 0 12 * * *", "Quartz", "fields day-of-month and day-of-week together",
                "Quartz needs '?' in day-of-month or day-of-week", "spring:");
    }

    @Test
    void rejectsWrongShapes() {
        rejects("* * * *", "has 4 fields", "expected 5 (Unix), 6 or 7 (Quartz)");
        rejects("unix: 0 0 * * * *", "has 6 fields", "Unix syntax has minute hour day-of-month month day-of-week");
        rejects("@reboot", "not a supported macro", "@daily");
        rejects("every 0s", "out of range 1s..366d");
        rejects("every 400d", "out of range 1s..366d");
        rejects("every 5 fortnights", "interval 'every 5 fortnights' is not one this grammar reads");
        rejects("every 1ms", "a unit of s, m, h or d");
        rejects("every 0.5s", "a whole n");
        rejects("EVERY 10000000000000000000000s", "interval 'EVERY 10000000000000000000000s' is out of range");
        rejects("  ", "must not be blank");
        // the field as written, not as it was handed to cron-utils (SUN starting a range as 0)
        rejects("0 9 * * sun-thu#2", "day-of-week field 'sun-thu#2'");
    }

    @Test
    void rejectsExpressionsThatCanNeverFire() {
        rejects("0 0 30 2 *", "'0 0 30 2 *' can never fire");
        rejects("0 0 12 31 APR ?", "can never fire");
        rejects("0 0 12 31W 2,4 ?", "can never fire");
        rejects("0 0 12 30 2 ? 2030", "can never fire");
        rejects("spring: 0 0 12 1-7 * MON#2", "can never fire"); // Spring needs both: no second Monday is in 1-7
    }

    @Test
    void rejectsRangesThatWrapWhereTheSyntaxHasNone() {
        rejects("spring: 0 0 22-2 * * *", "Spring", "hour field '22-2'", "Invalid range! [22,2]");
        rejects("spring: 0 0 12 * * FRI-MON", "Spring", "day-of-week field 'FRI-MON'", "runs backwards",
                "Quartz syntax has", "split it in two");
        rejects("0 22-2 * * *", "Unix", "hour field '22-2'");
        rejects("0 0 12 * * ? 2030-2025", "Quartz", "year field '2030-2025'");
        rejects("spring: 0 0 12 * * L", "Spring", "day-of-week field 'L'", "Saturday in Quartz syntax only");
    }
}
