package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The expressions of the Unix manuals, crontab(5) of Vixie cron (Debian) and of cronie, and of the Kubernetes
 * CronJob documentation, as an outside reviewer would paste them: each is accepted with the first four fire
 * times after 2025-01-01T00:00:00Z (a Wednesday) in UTC that the manual's words describe, or refused with an
 * error that names the problem (and the field, where one field is at fault). The Quartz tutorial's and Spring's
 * Javadoc's examples are {@link CronReferenceExamplesTest}'s.
 */
class CronManualExamplesTest {
    private static final Instant FROM = Instant.parse("2025-01-01T00:00:00Z");

    private static void firesAt(String expression, String times) {
        Instant[] expected = Arrays.stream(times.trim().split("\\s+")).map(Instant::parse).toArray(Instant[]::new);
        assertThat(Schedule.of("example", expression, "test.example", Map.of()).nextFireTimes(FROM, 4))
                .as(expression).containsExactly(expected);
    }

    /** crontab(5), Vixie cron as Debian ships it, and cronie's: the EXAMPLE sections and the words around them. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            5 0 * * *        | 2025-01-01T00:05:00Z 2025-01-02T00:05:00Z 2025-01-03T00:05:00Z 2025-01-04T00:05:00Z
            15 14 1 * *      | 2025-01-01T14:15:00Z 2025-02-01T14:15:00Z 2025-03-01T14:15:00Z 2025-04-01T14:15:00Z
            0 22 * * 1-5     | 2025-01-01T22:00:00Z 2025-01-02T22:00:00Z 2025-01-03T22:00:00Z 2025-01-06T22:00:00Z
            23 0-23/2 * * *  | 2025-01-01T00:23:00Z 2025-01-01T02:23:00Z 2025-01-01T04:23:00Z 2025-01-01T06:23:00Z
            5 4 * * sun      | 2025-01-05T04:05:00Z 2025-01-12T04:05:00Z 2025-01-19T04:05:00Z 2025-01-26T04:05:00Z
            5 4 * * 7        | 2025-01-05T04:05:00Z 2025-01-12T04:05:00Z 2025-01-19T04:05:00Z 2025-01-26T04:05:00Z
            5 4 * * 0        | 2025-01-05T04:05:00Z 2025-01-12T04:05:00Z 2025-01-19T04:05:00Z 2025-01-26T04:05:00Z
            30 4 1,15 * 5    | 2025-01-01T04:30:00Z 2025-01-03T04:30:00Z 2025-01-10T04:30:00Z 2025-01-15T04:30:00Z
            0 4 8-14 * *     | 2025-01-08T04:00:00Z 2025-01-09T04:00:00Z 2025-01-10T04:00:00Z 2025-01-11T04:00:00Z
            0 */2 * * *      | 2025-01-01T02:00:00Z 2025-01-01T04:00:00Z 2025-01-01T06:00:00Z 2025-01-01T08:00:00Z
            0 0 1,15 jan *   | 2025-01-15T00:00:00Z 2026-01-01T00:00:00Z 2026-01-15T00:00:00Z 2027-01-01T00:00:00Z
            1-9/2 0 1 1 *    | 2025-01-01T00:01:00Z 2025-01-01T00:03:00Z 2025-01-01T00:05:00Z 2025-01-01T00:07:00Z
            @yearly          | 2026-01-01T00:00:00Z 2027-01-01T00:00:00Z 2028-01-01T00:00:00Z 2029-01-01T00:00:00Z
            @annually        | 2026-01-01T00:00:00Z 2027-01-01T00:00:00Z 2028-01-01T00:00:00Z 2029-01-01T00:00:00Z
            @monthly         | 2025-02-01T00:00:00Z 2025-03-01T00:00:00Z 2025-04-01T00:00:00Z 2025-05-01T00:00:00Z
            @weekly          | 2025-01-05T00:00:00Z 2025-01-12T00:00:00Z 2025-01-19T00:00:00Z 2025-01-26T00:00:00Z
            @daily           | 2025-01-02T00:00:00Z 2025-01-03T00:00:00Z 2025-01-04T00:00:00Z 2025-01-05T00:00:00Z
            @midnight        | 2025-01-02T00:00:00Z 2025-01-03T00:00:00Z 2025-01-04T00:00:00Z 2025-01-05T00:00:00Z
            @hourly          | 2025-01-01T01:00:00Z 2025-01-01T02:00:00Z 2025-01-01T03:00:00Z 2025-01-01T04:00:00Z
            """)
    void unixCrontabManuals(String expression, String times) {
        firesAt(expression, times);
    }

    /**
     * cronie's crontab(5): "Ranges or lists of names are allowed." Sunday is 0, so a range of names from Sunday runs
     * forward ({@code sun-thu}, a Middle Eastern working week), and it is 7 too, so a range may end on it.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            0 9 * * sun-thu      | 2025-01-01T09:00:00Z 2025-01-02T09:00:00Z 2025-01-05T09:00:00Z 2025-01-06T09:00:00Z
            0 9 * * SUN-SAT      | 2025-01-01T09:00:00Z 2025-01-02T09:00:00Z 2025-01-03T09:00:00Z 2025-01-04T09:00:00Z
            0 9 * * fri-sun      | 2025-01-03T09:00:00Z 2025-01-04T09:00:00Z 2025-01-05T09:00:00Z 2025-01-10T09:00:00Z
            0 9 * * sat,sun-mon  | 2025-01-04T09:00:00Z 2025-01-05T09:00:00Z 2025-01-06T09:00:00Z 2025-01-11T09:00:00Z
            0 9 * * sun-sat/2    | 2025-01-02T09:00:00Z 2025-01-04T09:00:00Z 2025-01-05T09:00:00Z 2025-01-07T09:00:00Z
            0 9 * * sun-sun      | 2025-01-05T09:00:00Z 2025-01-12T09:00:00Z 2025-01-19T09:00:00Z 2025-01-26T09:00:00Z
            0 9 * jan-mar mon-fri | 2025-01-01T09:00:00Z 2025-01-02T09:00:00Z 2025-01-03T09:00:00Z 2025-01-06T09:00:00Z
            """)
    void rangesOfDayNames(String expression, String times) {
        firesAt(expression, times);
    }

    /**
     * The Kubernetes CronJob page: its sample's schedule, the examples in its words ("0 3 * * 1": Mondays at
     * 3 AM; "0 0 13 * 5": every Friday at midnight and on the 13th of each month), names for days, and a
     * question mark, which it says means what an asterisk does.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            * * * * *        | 2025-01-01T00:01:00Z 2025-01-01T00:02:00Z 2025-01-01T00:03:00Z 2025-01-01T00:04:00Z
            0 3 * * 1        | 2025-01-06T03:00:00Z 2025-01-13T03:00:00Z 2025-01-20T03:00:00Z 2025-01-27T03:00:00Z
            0 3 * * mon      | 2025-01-06T03:00:00Z 2025-01-13T03:00:00Z 2025-01-20T03:00:00Z 2025-01-27T03:00:00Z
            0 0 13 * 5       | 2025-01-03T00:00:00Z 2025-01-10T00:00:00Z 2025-01-13T00:00:00Z 2025-01-17T00:00:00Z
            0 3 ? * 1        | 2025-01-06T03:00:00Z 2025-01-13T03:00:00Z 2025-01-20T03:00:00Z 2025-01-27T03:00:00Z
            0 0 13 * ?       | 2025-01-13T00:00:00Z 2025-02-13T00:00:00Z 2025-03-13T00:00:00Z 2025-04-13T00:00:00Z
            */5 * * * *      | 2025-01-01T00:05:00Z 2025-01-01T00:10:00Z 2025-01-01T00:15:00Z 2025-01-01T00:20:00Z
            """)
    void kubernetesCronJob(String expression, String times) {
        firesAt(expression, times);
    }

    /**
     * AWS EventBridge's "Cron expressions" and "Rate expressions" examples, in their {@code cron(...)} and
     * {@code rate(...)} forms and after {@code aws:}. A rate is aligned to the Unix epoch as every interval is
     * ({@code rate(7 days)} fires on Thursdays, as 1970-01-01 was), where AWS counts from the rule's creation.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            cron(0 10 * * ? *)              | 2025-01-01T10:00:00Z 2025-01-02T10:00:00Z 2025-01-03T10:00:00Z 2025-01-04T10:00:00Z
            cron(15 12 * * ? *)             | 2025-01-01T12:15:00Z 2025-01-02T12:15:00Z 2025-01-03T12:15:00Z 2025-01-04T12:15:00Z
            cron(0 18 ? * MON-FRI *)        | 2025-01-01T18:00:00Z 2025-01-02T18:00:00Z 2025-01-03T18:00:00Z 2025-01-06T18:00:00Z
            cron(0 8 1 * ? *)               | 2025-01-01T08:00:00Z 2025-02-01T08:00:00Z 2025-03-01T08:00:00Z 2025-04-01T08:00:00Z
            cron(0/15 * * * ? *)            | 2025-01-01T00:15:00Z 2025-01-01T00:30:00Z 2025-01-01T00:45:00Z 2025-01-01T01:00:00Z
            cron(0/10 * ? * MON-FRI *)      | 2025-01-01T00:10:00Z 2025-01-01T00:20:00Z 2025-01-01T00:30:00Z 2025-01-01T00:40:00Z
            cron(0/5 8-17 ? * MON-FRI *)    | 2025-01-01T08:00:00Z 2025-01-01T08:05:00Z 2025-01-01T08:10:00Z 2025-01-01T08:15:00Z
            cron(0 9 ? * 2#1 *)             | 2025-01-06T09:00:00Z 2025-02-03T09:00:00Z 2025-03-03T09:00:00Z 2025-04-07T09:00:00Z
            aws: 0 18 ? * MON-FRI *         | 2025-01-01T18:00:00Z 2025-01-02T18:00:00Z 2025-01-03T18:00:00Z 2025-01-06T18:00:00Z
            rate(5 minutes)                 | 2025-01-01T00:05:00Z 2025-01-01T00:10:00Z 2025-01-01T00:15:00Z 2025-01-01T00:20:00Z
            rate(1 hour)                    | 2025-01-01T01:00:00Z 2025-01-01T02:00:00Z 2025-01-01T03:00:00Z 2025-01-01T04:00:00Z
            rate(7 days)                    | 2025-01-02T00:00:00Z 2025-01-09T00:00:00Z 2025-01-16T00:00:00Z 2025-01-23T00:00:00Z
            """)
    void awsEventBridge(String expression, String times) {
        firesAt(expression, times);
    }

    /** robfig/cron (Go): {@code @every} and a Go duration, aligned to the Unix epoch as every interval is. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            @every 1h30m     | 2025-01-01T01:30:00Z 2025-01-01T03:00:00Z 2025-01-01T04:30:00Z 2025-01-01T06:00:00Z
            @every 90s       | 2025-01-01T00:01:30Z 2025-01-01T00:03:00Z 2025-01-01T00:04:30Z 2025-01-01T00:06:00Z
            @every 1h0m0s    | 2025-01-01T01:00:00Z 2025-01-01T02:00:00Z 2025-01-01T03:00:00Z 2025-01-01T04:00:00Z
            """)
    void goCronEvery(String expression, String times) {
        firesAt(expression, times);
    }

    /**
     * What the manuals show that a schedule cannot be: {@code @reboot} (cron's start, no time), a time zone
     * written into the expression (cronie's {@code CRON_TZ=} line, which Kubernetes refuses too), cronie's random
     * {@code ~}, and a crontab line pasted whole, its command included: each refused, naming the problem.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            @reboot                      | expression: '@reboot' is not a supported macro
            CRON_TZ=Japan 5 0 * * *      | expression: a time zone in the expression ('CRON_TZ=Japan') is not read; set the schedule's zone with Schedule.timeZone("Japan")
            TZ=UTC 0 23 * * *            | expression: a time zone in the expression ('TZ=UTC') is not read; set the schedule's zone with Schedule.timeZone("UTC")
            0~30 * * * *                 | minute field '0~30'
            5 0 * * * $HOME/bin/job.sh   | expression: '5 0 * * * $HOME/bin/job.sh' reads as a crontab line: '$HOME/bin/job.sh' after its five fields is its user or command, which no schedule has; write the fields alone ('5 0 * * *')
            17 * * * * root cd / && run-parts --report /etc/cron.hourly | '17 * * * * root cd / && run-parts --report /etc/cron.hourly' reads as a crontab line: 'root cd / && run-parts --report /etc/cron.hourly' after its five fields
            0 0 * * * /usr/bin/backup    | write the fields alone ('0 0 * * *')
            cron(0 18 ? * MON-FRI)       | expression: 'cron(0 18 ? * MON-FRI)' has 5 fields; AWS syntax has minute hour day-of-month month day-of-week year
            cron(0 18 * * MON-FRI *)     | fields day-of-month and day-of-week together
            cron(0 18 * * MON-FRI *)     | an AWS expression is read as the Quartz expression '0 0 18 * * MON-FRI *'
            rate(0 minutes)              | expression: interval 'rate(0 minutes)' is out of range 1s..366d
            @every 1.5h                  | @every takes a duration of whole hours, minutes and seconds
            @every 500ms                 | @every takes a duration of whole hours, minutes and seconds
            @every 9000h                 | expression: interval '@every 9000h' is out of range 1s..366d
            """)
    void refusedWithTheProblemNamed(String expression, String naming) {
        assertThatThrownBy(() -> Schedule.of("example", expression, "test.example", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(naming);
    }
}
