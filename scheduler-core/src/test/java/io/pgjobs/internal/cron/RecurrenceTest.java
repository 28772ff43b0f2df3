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
}
