package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The examples of the Quartz CronTrigger tutorial and of Spring's {@code CronExpression} Javadoc, each with its
 * first four fire times after 2025-01-01T00:00:00Z in UTC, through the public {@link Schedule#nextFireTimes}.
 * Every row was checked against the libraries themselves (Quartz 2.3.2 and 2.5.0, Spring 6.2.10; Spring's macros
 * against Spring 7.0.8) while writing it. Quartz 2.5.0 skips 30-day months and February for {@code L}, {@code L-2}
 * and {@code LW}, and a month whose 1st is a weekend for {@code 1W}; those rows follow Quartz 2.3.2 and the
 * tutorial's words ("the last day of the month", "the nearest weekday").
 */
class CronReferenceExamplesTest {
    private static final Instant FROM = Instant.parse("2025-01-01T00:00:00Z");

    private static void firesAt(String expression, String times) {
        Instant[] expected = times == null ? new Instant[0]
                : Arrays.stream(times.trim().split("\\s+")).map(Instant::parse).toArray(Instant[]::new);
        assertThat(Schedule.of("example", expression, "test.example", Map.of()).nextFireTimes(FROM, 4))
                .as(expression).containsExactly(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            0 0 12 * * ?              | 2025-01-01T12:00:00Z 2025-01-02T12:00:00Z 2025-01-03T12:00:00Z 2025-01-04T12:00:00Z
            0 15 10 ? * *             | 2025-01-01T10:15:00Z 2025-01-02T10:15:00Z 2025-01-03T10:15:00Z 2025-01-04T10:15:00Z
            0 15 10 * * ?             | 2025-01-01T10:15:00Z 2025-01-02T10:15:00Z 2025-01-03T10:15:00Z 2025-01-04T10:15:00Z
            0 15 10 * * ? *           | 2025-01-01T10:15:00Z 2025-01-02T10:15:00Z 2025-01-03T10:15:00Z 2025-01-04T10:15:00Z
            0 15 10 * * ? 2005        |
            0 * 14 * * ?              | 2025-01-01T14:00:00Z 2025-01-01T14:01:00Z 2025-01-01T14:02:00Z 2025-01-01T14:03:00Z
            0 0/5 14 * * ?            | 2025-01-01T14:00:00Z 2025-01-01T14:05:00Z 2025-01-01T14:10:00Z 2025-01-01T14:15:00Z
            0 0/5 14,18 * * ?         | 2025-01-01T14:00:00Z 2025-01-01T14:05:00Z 2025-01-01T14:10:00Z 2025-01-01T14:15:00Z
            0 0-5 14 * * ?            | 2025-01-01T14:00:00Z 2025-01-01T14:01:00Z 2025-01-01T14:02:00Z 2025-01-01T14:03:00Z
            0 10,44 14 ? 3 WED        | 2025-03-05T14:10:00Z 2025-03-05T14:44:00Z 2025-03-12T14:10:00Z 2025-03-12T14:44:00Z
            0 15 10 ? * MON-FRI       | 2025-01-01T10:15:00Z 2025-01-02T10:15:00Z 2025-01-03T10:15:00Z 2025-01-06T10:15:00Z
            0 15 10 15 * ?            | 2025-01-15T10:15:00Z 2025-02-15T10:15:00Z 2025-03-15T10:15:00Z 2025-04-15T10:15:00Z
            0 15 10 L * ?             | 2025-01-31T10:15:00Z 2025-02-28T10:15:00Z 2025-03-31T10:15:00Z 2025-04-30T10:15:00Z
            0 15 10 L-2 * ?           | 2025-01-29T10:15:00Z 2025-02-26T10:15:00Z 2025-03-29T10:15:00Z 2025-04-28T10:15:00Z
            0 15 10 ? * 6L            | 2025-01-31T10:15:00Z 2025-02-28T10:15:00Z 2025-03-28T10:15:00Z 2025-04-25T10:15:00Z
            0 15 10 ? * 6L 2002-2005  |
            0 15 10 ? * 6#3           | 2025-01-17T10:15:00Z 2025-02-21T10:15:00Z 2025-03-21T10:15:00Z 2025-04-18T10:15:00Z
            0 0 12 1/5 * ?            | 2025-01-01T12:00:00Z 2025-01-06T12:00:00Z 2025-01-11T12:00:00Z 2025-01-16T12:00:00Z
            0 11 11 11 11 ?           | 2025-11-11T11:11:00Z 2026-11-11T11:11:00Z 2027-11-11T11:11:00Z 2028-11-11T11:11:00Z
            0 0/5 * * * ?             | 2025-01-01T00:05:00Z 2025-01-01T00:10:00Z 2025-01-01T00:15:00Z 2025-01-01T00:20:00Z
            10 0/5 * * * ?            | 2025-01-01T00:00:10Z 2025-01-01T00:05:10Z 2025-01-01T00:10:10Z 2025-01-01T00:15:10Z
            0 30 10-13 ? * WED,FRI    | 2025-01-01T10:30:00Z 2025-01-01T11:30:00Z 2025-01-01T12:30:00Z 2025-01-01T13:30:00Z
            0 0/30 8-9 5,20 * ?       | 2025-01-05T08:00:00Z 2025-01-05T08:30:00Z 2025-01-05T09:00:00Z 2025-01-05T09:30:00Z
            0 0 12 ? * L              | 2025-01-04T12:00:00Z 2025-01-11T12:00:00Z 2025-01-18T12:00:00Z 2025-01-25T12:00:00Z
            0 0 12 LW * ?             | 2025-01-31T12:00:00Z 2025-02-28T12:00:00Z 2025-03-31T12:00:00Z 2025-04-30T12:00:00Z
            0 0 12 1W * ?             | 2025-01-01T12:00:00Z 2025-02-03T12:00:00Z 2025-03-03T12:00:00Z 2025-04-01T12:00:00Z
            0 0 12 15W * ?            | 2025-01-15T12:00:00Z 2025-02-14T12:00:00Z 2025-03-14T12:00:00Z 2025-04-15T12:00:00Z
            """)
    void quartzCronTriggerTutorial(String expression, String times) {
        firesAt(expression, times);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            spring: 0 0 * * * *       | 2025-01-01T01:00:00Z 2025-01-01T02:00:00Z 2025-01-01T03:00:00Z 2025-01-01T04:00:00Z
            spring: */10 * * * * *    | 2025-01-01T00:00:10Z 2025-01-01T00:00:20Z 2025-01-01T00:00:30Z 2025-01-01T00:00:40Z
            spring: 0 0 8-10 * * *    | 2025-01-01T08:00:00Z 2025-01-01T09:00:00Z 2025-01-01T10:00:00Z 2025-01-02T08:00:00Z
            spring: 0 0 6,19 * * *    | 2025-01-01T06:00:00Z 2025-01-01T19:00:00Z 2025-01-02T06:00:00Z 2025-01-02T19:00:00Z
            spring: 0 0/30 8-10 * * * | 2025-01-01T08:00:00Z 2025-01-01T08:30:00Z 2025-01-01T09:00:00Z 2025-01-01T09:30:00Z
            spring: 0 0 9-17 * * MON-FRI| 2025-01-01T09:00:00Z 2025-01-01T10:00:00Z 2025-01-01T11:00:00Z 2025-01-01T12:00:00Z
            spring: 0 0 0 25 12 ?     | 2025-12-25T00:00:00Z 2026-12-25T00:00:00Z 2027-12-25T00:00:00Z 2028-12-25T00:00:00Z
            spring: 0 0 0 L * *       | 2025-01-31T00:00:00Z 2025-02-28T00:00:00Z 2025-03-31T00:00:00Z 2025-04-30T00:00:00Z
            spring: 0 0 0 L-3 * *     | 2025-01-28T00:00:00Z 2025-02-25T00:00:00Z 2025-03-28T00:00:00Z 2025-04-27T00:00:00Z
            spring: 0 0 0 1W * *      | 2025-02-03T00:00:00Z 2025-03-03T00:00:00Z 2025-04-01T00:00:00Z 2025-05-01T00:00:00Z
            spring: 0 0 0 LW * *      | 2025-01-31T00:00:00Z 2025-02-28T00:00:00Z 2025-03-31T00:00:00Z 2025-04-30T00:00:00Z
            spring: 0 0 0 * * 5L      | 2025-01-31T00:00:00Z 2025-02-28T00:00:00Z 2025-03-28T00:00:00Z 2025-04-25T00:00:00Z
            spring: 0 0 0 * * THUL    | 2025-01-30T00:00:00Z 2025-02-27T00:00:00Z 2025-03-27T00:00:00Z 2025-04-24T00:00:00Z
            spring: 0 0 0 ? * 5#2     | 2025-01-10T00:00:00Z 2025-02-14T00:00:00Z 2025-03-14T00:00:00Z 2025-04-11T00:00:00Z
            spring: 0 0 0 ? * MON#1   | 2025-01-06T00:00:00Z 2025-02-03T00:00:00Z 2025-03-03T00:00:00Z 2025-04-07T00:00:00Z
            spring: @yearly           | 2026-01-01T00:00:00Z 2027-01-01T00:00:00Z 2028-01-01T00:00:00Z 2029-01-01T00:00:00Z
            spring: @annually         | 2026-01-01T00:00:00Z 2027-01-01T00:00:00Z 2028-01-01T00:00:00Z 2029-01-01T00:00:00Z
            spring: @monthly          | 2025-02-01T00:00:00Z 2025-03-01T00:00:00Z 2025-04-01T00:00:00Z 2025-05-01T00:00:00Z
            spring: @weekly           | 2025-01-05T00:00:00Z 2025-01-12T00:00:00Z 2025-01-19T00:00:00Z 2025-01-26T00:00:00Z
            spring: @daily            | 2025-01-02T00:00:00Z 2025-01-03T00:00:00Z 2025-01-04T00:00:00Z 2025-01-05T00:00:00Z
            spring: @midnight         | 2025-01-02T00:00:00Z 2025-01-03T00:00:00Z 2025-01-04T00:00:00Z 2025-01-05T00:00:00Z
            spring: @hourly           | 2025-01-01T01:00:00Z 2025-01-01T02:00:00Z 2025-01-01T03:00:00Z 2025-01-01T04:00:00Z
            unix: @daily              | 2025-01-02T00:00:00Z 2025-01-03T00:00:00Z 2025-01-04T00:00:00Z 2025-01-05T00:00:00Z
            """)
    void springCronExpressionJavadoc(String expression, String times) {
        firesAt(expression, times);
    }

    /** Quartz has no macros: one written after its prefix is refused with what to write instead. */
    @Test
    void aMacroAfterTheQuartzPrefixIsRefused() {
        assertThatThrownBy(() -> Schedule.of("example", "quartz: @daily", "test.example", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expression: 'quartz: @daily': Quartz syntax has no macros; write the macro without the "
                        + "prefix ('@daily') or Quartz fields");
        assertThatThrownBy(() -> Schedule.of("example", "spring: @reboot", "test.example", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'spring: @reboot' is not a supported macro");
    }
}
