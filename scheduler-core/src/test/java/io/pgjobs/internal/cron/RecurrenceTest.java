package io.pgjobs.internal.cron;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fire-time sequences computed from given instants, across both daylight-saving shifts of Europe/Berlin
 * (2025-03-30 02:00 CET -> 03:00 CEST at 01:00Z; 2025-10-26 03:00 CEST -> 02:00 CET at 01:00Z) and
 * America/New_York (2025-03-09 02:00 EST -> 03:00 EDT at 07:00Z; 2025-11-02 02:00 EDT -> 01:00 EST at 06:00Z).
 * A skipped time fires once at the shift, a repeated time once at its first occurrence.
 */
class RecurrenceTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

    private static List<String> fires(String expression, ZoneId zone, String from, int count) {
        Recurrence recurrence = CronSyntax.parse(expression, zone);
        List<String> fires = new ArrayList<>();
        Instant t = Instant.parse(from);
        for (int i = 0; i < count; i++) {
            t = recurrence.nextAfter(t).orElseThrow();
            fires.add(t.toString());
        }
        return fires;
    }

    @Test
    void berlinDailyInTheSkippedHourFiresOnceAtTheShift() {
        assertThat(fires("30 2 * * *", BERLIN, "2025-03-28T12:00:00Z", 4)).containsExactly(
                "2025-03-29T01:30:00Z",  // 02:30 CET
                "2025-03-30T01:00:00Z",  // 02:30 does not exist: 03:00 CEST, the shift
                "2025-03-31T00:30:00Z",  // 02:30 CEST
                "2025-04-01T00:30:00Z");
    }

    @Test
    void berlinDailyInTheRepeatedHourFiresOnce() {
        assertThat(fires("30 2 * * *", BERLIN, "2025-10-24T12:00:00Z", 3)).containsExactly(
                "2025-10-25T00:30:00Z",  // 02:30 CEST
                "2025-10-26T00:30:00Z",  // the first 02:30 (CEST); the second (01:30Z, CET) does not fire
                "2025-10-27T01:30:00Z"); // 02:30 CET
    }

    @Test
    void berlinHourlyAcrossBothShifts() {
        assertThat(fires("0 * * * *", BERLIN, "2025-03-29T23:30:00Z", 4)).containsExactly(
                "2025-03-30T00:00:00Z",  // 01:00 CET
                "2025-03-30T01:00:00Z",  // 02:00 is skipped and 03:00 CEST is the shift: one fire
                "2025-03-30T02:00:00Z",  // 04:00 CEST
                "2025-03-30T03:00:00Z");
        assertThat(fires("0 * * * *", BERLIN, "2025-10-25T23:30:00Z", 3)).containsExactly(
                "2025-10-26T00:00:00Z",  // 02:00 CEST
                "2025-10-26T02:00:00Z",  // 03:00 CET: the repeated 02:00 (CET, 01:00Z) does not fire again
                "2025-10-26T03:00:00Z");
    }

    @Test
    void newYorkEveryFifteenMinutesCollapsesTheSkippedHourIntoOneFire() {
        assertThat(fires("*/15 * * * *", NEW_YORK, "2025-03-09T06:40:00Z", 3)).containsExactly(
                "2025-03-09T06:45:00Z",  // 01:45 EST
                "2025-03-09T07:00:00Z",  // 02:00..02:45 do not exist; they and 03:00 EDT fire once, at the shift
                "2025-03-09T07:15:00Z"); // 03:15 EDT
    }

    @Test
    void newYorkDailyAcrossBothShifts() {
        assertThat(fires("30 2 * * *", NEW_YORK, "2025-03-08T00:00:00Z", 3)).containsExactly(
                "2025-03-08T07:30:00Z",  // 02:30 EST
                "2025-03-09T07:00:00Z",  // skipped: at the shift, 03:00 EDT
                "2025-03-10T06:30:00Z"); // 02:30 EDT
        assertThat(fires("30 1 * * *", NEW_YORK, "2025-11-01T00:00:00Z", 3)).containsExactly(
                "2025-11-01T05:30:00Z",  // 01:30 EDT
                "2025-11-02T05:30:00Z",  // the first 01:30 (EDT); the second (06:30Z, EST) does not fire
                "2025-11-03T06:30:00Z"); // 01:30 EST
    }

    @Test
    void fromInsideTheRepeatedHourTheFirstOccurrenceIsNotFiredAgain() {
        // at 06:10Z it is 01:10 EST, in the second pass of the hour: 01:30's first occurrence (05:30Z) is past
        assertThat(fires("30 1 * * *", NEW_YORK, "2025-11-02T06:10:00Z", 1)).containsExactly("2025-11-03T06:30:00Z");
        assertThat(fires("*/20 * * * *", NEW_YORK, "2025-11-02T06:10:00Z", 2))
                .containsExactly("2025-11-02T07:00:00Z", "2025-11-02T07:20:00Z");
    }

    @Test
    void quartzSecondsAndSpecialCharacters() {
        assertThat(fires("*/20 * * * * ?", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 3))
                .containsExactly("2025-01-01T00:00:20Z", "2025-01-01T00:00:40Z", "2025-01-01T00:01:00Z");
        assertThat(fires("0 0 12 L * ?", ZoneOffset.UTC, "2025-01-31T13:00:00Z", 2))
                .containsExactly("2025-02-28T12:00:00Z", "2025-03-31T12:00:00Z");
        assertThat(fires("0 0 12 ? * 6#3", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 1)) // third Friday
                .containsExactly("2025-01-17T12:00:00Z");
        assertThat(fires("0 0 12 15W * ?", ZoneOffset.UTC, "2025-03-01T00:00:00Z", 1)) // 15th is a Saturday
                .containsExactly("2025-03-14T12:00:00Z");
    }

    @Test
    void springAndMacros() {
        assertThat(fires("spring: 0 0 9 * * MON-FRI", ZoneOffset.UTC, "2025-01-03T10:00:00Z", 2)) // a Friday
                .containsExactly("2025-01-06T09:00:00Z", "2025-01-07T09:00:00Z");
        assertThat(fires("@daily", BERLIN, "2025-01-01T00:00:00Z", 1)).containsExactly("2025-01-01T23:00:00Z");
        assertThat(fires("@hourly", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 1)).containsExactly("2025-01-01T01:00:00Z");
        assertThat(fires("@weekly", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 1)).containsExactly("2025-01-05T00:00:00Z");
        assertThat(fires("@monthly", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 1)).containsExactly("2025-02-01T00:00:00Z");
        assertThat(fires("@yearly", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 1)).containsExactly("2026-01-01T00:00:00Z");
    }

    @Test
    void intervalsAreAlignedToTheEpochAndIgnoreZonesAndShifts() {
        assertThat(fires("every 30s", BERLIN, "2025-03-30T00:59:45Z", 3))
                .containsExactly("2025-03-30T01:00:00Z", "2025-03-30T01:00:30Z", "2025-03-30T01:01:00Z");
        assertThat(fires("every 2h", NEW_YORK, "2025-11-02T05:00:00Z", 2))
                .containsExactly("2025-11-02T06:00:00Z", "2025-11-02T08:00:00Z");
        assertThat(fires("EVERY 5 minutes", ZoneOffset.UTC, "2025-01-01T00:05:00Z", 1)).containsExactly("2025-01-01T00:10:00Z");
        assertThat(fires("every 1d", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 1)).containsExactly("2025-01-02T00:00:00Z");
    }

    @Test
    void anExpressionWithNoFutureTimeHasNoNextFire() {
        assertThat(CronSyntax.parse("0 0 12 * * ? 2020", ZoneOffset.UTC).nextAfter(Instant.parse("2025-01-01T00:00:00Z")))
                .isEmpty();
    }

    @Test
    void descriptions() {
        assertThat(CronSyntax.parse("0 0 12 L * ?", ZoneOffset.UTC).description()).isEqualTo("at 12:00 last day of month");
        assertThat(CronSyntax.parse("every 90s", ZoneOffset.UTC).description()).isEqualTo("every 90s");
        assertThat(CronSyntax.parse("every 120 s", ZoneOffset.UTC).description()).isEqualTo("every 2m");
    }

    @Test
    void quartzRangesThatWrapAroundRunThroughTheEndOfTheirField() {
        assertThat(fires("0 0 22-2 * * ?", ZoneOffset.UTC, "2025-01-01T12:00:00Z", 6)).containsExactly(
                "2025-01-01T22:00:00Z", "2025-01-01T23:00:00Z", "2025-01-02T00:00:00Z", "2025-01-02T01:00:00Z",
                "2025-01-02T02:00:00Z", "2025-01-02T22:00:00Z");
        assertThat(fires("50-10 * * * * ?", ZoneOffset.UTC, "2025-01-01T00:00:58Z", 3))
                .containsExactly("2025-01-01T00:00:59Z", "2025-01-01T00:01:00Z", "2025-01-01T00:01:01Z");
        assertThat(fires("0 50-10 9 * * ?", ZoneOffset.UTC, "2025-01-01T09:09:00Z", 3))
                .containsExactly("2025-01-01T09:10:00Z", "2025-01-01T09:50:00Z", "2025-01-01T09:51:00Z");
        // day-of-month wraps at 31 whatever the month's length: February 2025 has 28 days
        assertThat(fires("0 0 12 28-3 * ?", ZoneOffset.UTC, "2025-02-27T13:00:00Z", 5)).containsExactly(
                "2025-02-28T12:00:00Z", "2025-03-01T12:00:00Z", "2025-03-02T12:00:00Z", "2025-03-03T12:00:00Z",
                "2025-03-28T12:00:00Z");
        assertThat(fires("0 0 12 1 NOV-FEB ?", ZoneOffset.UTC, "2025-02-02T00:00:00Z", 5)).containsExactly(
                "2025-11-01T12:00:00Z", "2025-12-01T12:00:00Z", "2026-01-01T12:00:00Z", "2026-02-01T12:00:00Z",
                "2026-11-01T12:00:00Z");
        assertThat(fires("0 0 12 ? * FRI-MON", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 5)).containsExactly( // a Wednesday
                "2025-01-03T12:00:00Z", "2025-01-04T12:00:00Z", "2025-01-05T12:00:00Z", "2025-01-06T12:00:00Z",
                "2025-01-10T12:00:00Z");
        // with a step, as Quartz counts it: on from 22 by 3 through midnight, so 22 and 1
        assertThat(fires("0 0 22-2/3 * * ?", ZoneOffset.UTC, "2025-01-01T12:00:00Z", 3))
                .containsExactly("2025-01-01T22:00:00Z", "2025-01-02T01:00:00Z", "2025-01-02T22:00:00Z");
    }

    @Test
    void theDescriptionOfAWrappingRangeSaysWhatFires() {
        assertThat(CronSyntax.parse("0 0 22-2 * * ?", ZoneOffset.UTC).description()).isEqualTo("every hour between 22 and 2");
        assertThat(CronSyntax.parse("0 0 12 ? * FRI-MON", ZoneOffset.UTC).description())
                .isEqualTo("at 12:00 every day between Friday and Monday");
        assertThat(CronSyntax.parse("0 0 22-2/3 * * ?", ZoneOffset.UTC).description()).isEqualTo("at 1 and 22 hours");
    }

    @Test
    void nearestWeekdayToTheLastDaysStaysInTheMonthAndSkipsMonthsThatAreTooShort() {
        // Quartz's rule: the nearest weekday without leaving the month; a month without day n has no fire
        assertThat(fires("0 0 12 31W * ?", ZoneOffset.UTC, "2025-04-01T00:00:00Z", 4)).containsExactly(
                "2025-05-30T12:00:00Z",  // May 31st is a Saturday: Friday the 30th
                "2025-07-31T12:00:00Z",  // June has no 31st
                "2025-08-29T12:00:00Z",  // August 31st is a Sunday and the month's last day: Friday the 29th
                "2025-10-31T12:00:00Z");
        assertThat(fires("0 0 12 30W * ?", ZoneOffset.UTC, "2025-01-31T00:00:00Z", 2)).containsExactly(
                "2025-03-31T12:00:00Z",  // February has no 30th; March 30th is a Sunday: Monday the 31st
                "2025-04-30T12:00:00Z");
        assertThat(fires("0 0 12 29W * ?", ZoneOffset.UTC, "2025-01-30T00:00:00Z", 1))
                .containsExactly("2025-03-28T12:00:00Z"); // no February 29th in 2025; March 29th is a Saturday
        assertThat(fires("0 0 12 29W 2 ?", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 1))
                .containsExactly("2028-02-29T12:00:00Z"); // the next leap year's 29th, a Tuesday
        assertThat(fires("0 0 12 1W * ?", ZoneOffset.UTC, "2025-01-31T00:00:00Z", 1))
                .containsExactly("2025-02-03T12:00:00Z"); // the 1st is a Saturday: Monday the 3rd, not Friday the 31st
    }

    @Test
    void springReadsDayOfWeekNumbersAsSpringDoes() {
        // Spring: 0 and 7 are Sunday, 1 is Monday, and * is 1-7, so */2 is MON, WED, FRI, SUN
        assertThat(fires("spring: 0 0 12 * * */2", ZoneOffset.UTC, "2025-01-05T13:00:00Z", 4)).containsExactly( // a Sunday
                "2025-01-06T12:00:00Z", "2025-01-08T12:00:00Z", "2025-01-10T12:00:00Z", "2025-01-12T12:00:00Z");
        assertThat(CronSyntax.parse("spring: 0 0 12 * * */2", ZoneOffset.UTC).description())
                .isEqualTo("at 12:00 at Monday, Wednesday, Friday and Sunday days");
        assertThat(fires("spring: 0 0 12 * * 1#2", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 1))
                .containsExactly("2025-01-13T12:00:00Z"); // the second Monday
        assertThat(fires("spring: 0 0 12 * * 7-2", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 3)) // 7 starts a range as 0
                .containsExactly("2025-01-05T12:00:00Z", "2025-01-06T12:00:00Z", "2025-01-07T12:00:00Z");
        // Quartz counts from Sunday (1), Unix from Sunday (0): */2 is SUN, TUE, THU, SAT in both
        assertThat(fires("0 0 12 ? * */2", ZoneOffset.UTC, "2025-01-05T13:00:00Z", 3))
                .containsExactly("2025-01-07T12:00:00Z", "2025-01-09T12:00:00Z", "2025-01-11T12:00:00Z");
        assertThat(fires("0 12 * * */2", ZoneOffset.UTC, "2025-01-05T13:00:00Z", 3))
                .containsExactly("2025-01-07T12:00:00Z", "2025-01-09T12:00:00Z", "2025-01-11T12:00:00Z");
    }

    @Test
    void unixCombinesRestrictedDayFieldsWithOrAndAStarredFieldWithAnd() {
        // both restricted: the 1st of the month or any Monday, as classic cron
        assertThat(fires("0 0 1 * MON", ZoneOffset.UTC, "2025-01-28T00:00:00Z", 3))
                .containsExactly("2025-02-01T00:00:00Z", "2025-02-03T00:00:00Z", "2025-02-10T00:00:00Z");
        // a field that starts with '*' counts as unrestricted even with a step: odd days that are Mondays
        assertThat(fires("0 0 */2 * MON", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 3))
                .containsExactly("2025-01-13T00:00:00Z", "2025-01-27T00:00:00Z", "2025-02-03T00:00:00Z");
        assertThat(fires("0 0 * * MON", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 2))
                .containsExactly("2025-01-06T00:00:00Z", "2025-01-13T00:00:00Z");
        // Spring requires both, as Spring does: Friday the 13th
        assertThat(fires("spring: 0 0 12 13 * FRI", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 2))
                .containsExactly("2025-06-13T12:00:00Z", "2026-02-13T12:00:00Z");
    }

    @Test
    void quartzLAloneInDayOfWeekIsSaturday() {
        assertThat(fires("0 0 12 ? * L", ZoneOffset.UTC, "2025-01-01T00:00:00Z", 2))
                .containsExactly("2025-01-04T12:00:00Z", "2025-01-11T12:00:00Z");
        assertThat(CronSyntax.parse("0 0 12 ? * L", ZoneOffset.UTC).description()).isEqualTo("at 12:00 at Saturday day");
    }
}
