package io.pgjobs.internal.cron;

import com.cronutils.descriptor.CronDescriptor;
import com.cronutils.model.Cron;
import io.pgjobs.internal.cron.Recurrence.CronRecurrence;
import io.pgjobs.internal.cron.Recurrence.IntervalRecurrence;
import io.pgjobs.internal.values.Excerpt;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a schedule's expression (see docs/cron.md for the grammar). The syntax is chosen by the expression's
 * shape, or by an explicit prefix where shapes collide (Spring and Quartz both have six fields):
 * <ul>
 *   <li>{@code every <n><unit>}: a fixed interval; unit {@code s}, {@code m}, {@code h} or {@code d} (or the
 *       words second(s), minute(s), hour(s), day(s)), spaces allowed, 1 second to 366 days;</li>
 *   <li>{@code @yearly @annually @monthly @weekly @daily @midnight @hourly}: the classic macros;</li>
 *   <li>{@code @every 1h30m}: robfig/cron's (Go) interval, whole hours, minutes and seconds;</li>
 *   <li>AWS EventBridge's {@code rate(5 minutes)}, an interval, and {@code cron(0 18 ? * MON-FRI *)} or
 *       {@code aws:} and its six fields, read as Quartz's with a second of 0;</li>
 *   <li>{@code unix:}, {@code quartz:} or {@code spring:} followed by an expression of that syntax (after
 *       {@code unix:} or {@code spring:}, a macro too);</li>
 *   <li>otherwise 5 fields are Unix ({@code ?} in a day field read as {@code *}, as Kubernetes reads it), 6 or
 *       7 fields Quartz.</li>
 * </ul>
 * A time zone written in front of the fields ({@code CRON_TZ=Japan}, cronie's) is refused: the schedule's zone
 * is its own setting.
 * A bad expression throws {@link IllegalArgumentException} naming the offending field and cron-utils' reason.
 */
public final class CronSyntax {
    private static final Pattern INTERVAL = Pattern.compile(
            "every\\s*(\\d+)\\s*(s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?)", Pattern.CASE_INSENSITIVE);
    /** What starts as an interval: read as fields, "every 1ms" would be refused for its field count. */
    private static final Pattern INTERVAL_LIKE = Pattern.compile("every(\\s|\\d).*", Pattern.CASE_INSENSITIVE);
    /** AWS EventBridge's rate expression: "rate(5 minutes)". */
    private static final Pattern AWS_RATE = Pattern.compile("rate\\(\\s*(\\d+)\\s+(minutes?|hours?|days?)\\s*\\)",
            Pattern.CASE_INSENSITIVE);
    /** AWS EventBridge's cron expression, in its "cron(...)" form or after an "aws:" prefix. */
    private static final Pattern AWS_CRON = Pattern.compile("cron\\((.*)\\)|aws:(.*)", Pattern.CASE_INSENSITIVE);
    /** robfig/cron's (Go) interval: "@every" and a Go duration, "1h30m". */
    private static final Pattern GO_EVERY = Pattern.compile("@every\\s+(.*)", Pattern.CASE_INSENSITIVE);
    private static final Pattern GO_DURATION = Pattern.compile("(?:\\d+[hms])+");
    private static final Pattern GO_DURATION_PART = Pattern.compile("(\\d+)([hms])");
    private static final Pattern CRON_FIELD_CHARACTERS = Pattern.compile("[0-9A-Za-z*?/,#-]+");
    private static final Pattern FOUR_LETTERS = Pattern.compile("[A-Za-z]{4}");
    private static final Pattern SUNDAY_STARTING_A_RANGE = Pattern.compile("(?<=^|,)SUN(?=-(?!SUN))",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern PREFIX = Pattern.compile("(unix|quartz|spring):(.*)", Pattern.CASE_INSENSITIVE);
    /** cronie's {@code CRON_TZ=Japan} line, or a {@code TZ=} one, written in front of the fields. */
    private static final Pattern ZONE_IN_EXPRESSION = Pattern.compile("((?:CRON_)?TZ)=(\\S*).*");
    private static final Duration MAX_INTERVAL = Duration.ofDays(366);
    private static final Map<String, String> MACROS = Map.of(
            "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0",
            "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");

    /** Parses {@code expression} for a schedule in {@code zone}; throws {@link IllegalArgumentException} if bad. */
    public static Recurrence parse(String expression, ZoneId zone) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("expression: must not be blank");
        }
        String text = expression.trim();
        Matcher zoneInExpression = ZONE_IN_EXPRESSION.matcher(text);
        if (zoneInExpression.matches()) {
            // read as fields, the zone would be refused as a bad second or minute, which is not the problem
            throw new IllegalArgumentException("expression: a time zone in the expression ('" + zoneInExpression.group(1)
                    + "=" + zoneInExpression.group(2) + "') is not read; set the schedule's zone with Schedule.timeZone(\""
                    + zoneInExpression.group(2) + "\")");
        }
        Matcher interval = INTERVAL.matcher(text);
        if (interval.matches()) {
            return new IntervalRecurrence(interval(text, interval.group(1), interval.group(2)));
        }
        if (INTERVAL_LIKE.matcher(text).matches()) {
            throw new IllegalArgumentException("expression: interval '" + text + "' is not one this grammar reads; "
                    + "write 'every <n><unit>' with a whole n and a unit of s, m, h or d (1s to 366d), "
                    + "such as 'every 30s'");
        }
        Matcher rate = AWS_RATE.matcher(text);
        if (rate.matches()) {
            return new IntervalRecurrence(interval(text, rate.group(1), rate.group(2)));
        }
        Matcher goEvery = GO_EVERY.matcher(text);
        if (goEvery.matches()) {
            return new IntervalRecurrence(goDuration(text, goEvery.group(1).trim()));
        }
        Matcher aws = AWS_CRON.matcher(text);
        if (aws.matches()) {
            return awsCron(text, (aws.group(1) != null ? aws.group(1) : aws.group(2)).trim(), zone);
        }
        if (text.startsWith("@")) {
            return macro(text, text, zone);
        }
        Matcher prefix = PREFIX.matcher(text);
        if (prefix.matches()) {
            CronDialect dialect = CronDialect.valueOf(prefix.group(1).toUpperCase(Locale.ROOT));
            String body = prefix.group(2).trim();
            if (body.startsWith("@")) {
                // cronie's and Spring's macros name the same times; Quartz has none
                if (dialect == CronDialect.QUARTZ) {
                    throw new IllegalArgumentException("expression: '" + text + "': Quartz syntax has no macros; "
                            + "write the macro without the prefix ('" + body + "') or Quartz fields");
                }
                return macro(body, text, zone);
            }
            return parseCron(dialect, body, text, zone);
        }
        String[] parts = text.split("\\s+");
        if (parts.length > 5 && Arrays.stream(parts, 5, parts.length).anyMatch(CronSyntax::isNoCronField)) {
            String rest = String.join(" ", Arrays.copyOfRange(parts, 5, parts.length));
            throw new IllegalArgumentException("expression: '" + Excerpt.of(text) + "' reads as a crontab line: '"
                    + Excerpt.of(rest) + "' after its five fields is its user or command, which no schedule has; "
                    + "write the fields alone ('" + String.join(" ", Arrays.copyOf(parts, 5)) + "')");
        }
        int fields = parts.length;
        CronDialect dialect = switch (fields) {
            case 5 -> CronDialect.UNIX;
            case 6, 7 -> CronDialect.QUARTZ;
            default -> throw new IllegalArgumentException("expression: '" + text + "' has " + fields + " fields; "
                    + "expected 5 (Unix), 6 or 7 (Quartz), 'spring:' and 6 fields, a macro such as @daily, "
                    + "or an interval such as 'every 30s'");
        };
        return parseCron(dialect, text, text, zone);
    }

    /** AWS EventBridge's six fields ({@code body} of {@code text}): Quartz's without the second. */
    private static Recurrence awsCron(String text, String body, ZoneId zone) {
        int fields = body.isEmpty() ? 0 : body.split("\\s+").length;
        if (fields != 6) {
            throw new IllegalArgumentException("expression: '" + text + "' has " + fields + " fields; AWS syntax "
                    + "has minute hour day-of-month month day-of-week year");
        }
        // the same '?', L, W, # and 1 for Sunday as Quartz's
        try {
            return parseCron(CronDialect.QUARTZ, "0 " + body, text, zone);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "; an AWS expression is read as the Quartz "
                    + "expression '0 " + body + "'", e);
        }
    }

    /** A macro ({@code macro}, as {@code text} wrote it), as the Unix expression it stands for. */
    private static Recurrence macro(String macro, String text, ZoneId zone) {
        String unix = MACROS.get(macro.toLowerCase(Locale.ROOT));
        if (unix == null) {
            throw new IllegalArgumentException("expression: '" + text + "' is not a supported macro; use one of "
                    + MACROS.keySet().stream().sorted().toList());
        }
        return parseCron(CronDialect.UNIX, unix, text, zone);
    }

    /**
     * Whether {@code token} is no field of any syntax: it holds a character no field has, starts with a path's
     * {@code /}, or a word of four letters or more (the names of days and months have three).
     */
    private static boolean isNoCronField(String token) {
        return !CRON_FIELD_CHARACTERS.matcher(token).matches() || token.startsWith("/")
                || FOUR_LETTERS.matcher(token).find();
    }

    /** {@code amount} of the unit that {@code unit} starts with (s, m, h or d), checked to lie in 1s..366d. */
    private static Duration interval(String text, String amount, String unit) {
        return inRange(text, duration(amount, unit));
    }

    /** {@code amount} (digits) of the unit that {@code unit} starts with; past ten digits, longer than any interval. */
    private static Duration duration(String amount, String unit) {
        if (amount.replaceFirst("^0+", "").length() > 9) {
            return MAX_INTERVAL.plusDays(1);
        }
        long n = Long.parseLong(amount);
        return switch (Character.toLowerCase(unit.charAt(0))) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    /** A Go duration of whole hours, minutes and seconds ("1h30m"), as robfig/cron's {@code @every} takes it. */
    private static Duration goDuration(String text, String duration) {
        if (!GO_DURATION.matcher(duration).matches()) {
            throw new IllegalArgumentException("expression: '" + text + "' is not read: @every takes a duration of "
                    + "whole hours, minutes and seconds, such as '@every 1h30m' or '@every 90s' (1s to 366d)");
        }
        Duration sum = Duration.ZERO;
        for (Matcher part = GO_DURATION_PART.matcher(duration); part.find(); ) {
            sum = sum.plus(duration(part.group(1), part.group(2)));
        }
        return inRange(text, sum);
    }

    private static Duration inRange(String text, Duration interval) {
        if (interval.isZero() || interval.compareTo(MAX_INTERVAL) > 0) {
            throw new IllegalArgumentException("expression: interval '" + text + "' is out of range 1s..366d");
        }
        return interval;
    }

    /** "30s", "5m", "2h", "1d": the largest whole unit, as the interval grammar writes it. */
    static String formatInterval(Duration interval) {
        long seconds = interval.getSeconds();
        if (seconds % 86_400 == 0) {
            return seconds / 86_400 + "d";
        }
        if (seconds % 3_600 == 0) {
            return seconds / 3_600 + "h";
        }
        return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
    }

    private static CronRecurrence parseCron(CronDialect dialect, String cron, String original, ZoneId zone) {
        String[] values = cron.isEmpty() ? new String[0] : cron.split("\\s+");
        if (!dialect.fieldCountFits(values.length)) {
            throw new IllegalArgumentException("expression: '" + original + "' has " + values.length + " fields; "
                    + dialect.title() + " syntax has " + dialect.fieldList());
        }
        String[] written = values;
        if (dialect == CronDialect.UNIX) {
            values = sundayStartingARangeAsZero(questionMarksAsAny(values));
            cron = String.join(" ", values);
        }
        Cron parsed;
        try {
            parsed = dialect.parser.parse(cron).validate();
        } catch (IllegalArgumentException whole) {
            throw new IllegalArgumentException(explain(dialect, values, written, original, whole), whole);
        }
        CronFields fields;
        try {
            fields = CronFields.read(dialect, parsed, values);
        } catch (IllegalArgumentException field) {
            throw new IllegalArgumentException("expression: '" + original + "' is not a valid " + dialect.title()
                    + " cron expression: " + field.getMessage(), field);
        }
        if (!fields.canEverFire()) {
            throw new IllegalArgumentException("expression: '" + original + "' can never fire: no date matches its "
                    + "day-of-month, month" + (values.length == 7 ? ", year" : "") + " and day-of-week together");
        }
        String description = CronDescriptor.instance(Locale.UK)
                .describe(dialect.parser.parse(String.join(" ", fields.describable)));
        return new CronRecurrence(fields, description, zone);
    }

    /**
     * A Unix expression's {@code ?} in day-of-month or day-of-week, as {@code *}: Kubernetes' CronJob reads it so
     * (its documentation says a question mark means what an asterisk does), and cron-utils' Unix syntax has no
     * {@code ?}. As {@code *} it leaves the field unrestricted, so the other day field alone decides.
     */
    private static String[] questionMarksAsAny(String[] values) {
        String[] read = values.clone();
        for (int day : new int[] {2, 4}) {
            if (read[day].equals("?")) {
                read[day] = "*";
            }
        }
        return read;
    }

    /**
     * A Unix expression's {@code SUN} at the start of a day-of-week range, as 0: in crontab(5) Sunday is 0 and
     * {@code SUN-THU} runs Sunday to Thursday, but cron-utils' Unix syntax reads {@code SUN} as 7 and refuses the
     * range as running backwards. At a range's end {@code SUN} stays 7 ({@code FRI-SUN}), as cron-utils reads it,
     * and {@code SUN-SUN} stays Sunday alone.
     */
    private static String[] sundayStartingARangeAsZero(String[] values) {
        String[] read = values.clone();
        read[4] = SUNDAY_STARTING_A_RANGE.matcher(read[4]).replaceAll("0");
        return read;
    }

    /**
     * Finds the field of {@code values} (as cron-utils reads the fields {@code written}) that cron-utils rejects on
     * its own, so the message can name it as written; else names the combination.
     */
    private static String explain(CronDialect dialect, String[] values, String[] written, String original,
                                  IllegalArgumentException whole) {
        String head = "expression: '" + original + "' is not a valid " + dialect.title() + " cron expression: ";
        String fields = " (" + dialect.title() + " fields: " + dialect.fieldList() + ")";
        for (int i = 0; i < values.length; i++) {
            try {
                dialect.parser.parse(dialect.probe(values, i)).validate();
            } catch (IllegalArgumentException alone) {
                return head + dialect.fields.get(i) + " field '" + written[i] + "': " + reason(alone) + fields;
            }
        }
        // every field is fine alone: the fields clash, and in practice only these two can
        String hint = dialect == CronDialect.QUARTZ
                ? "; Quartz needs '?' in day-of-month or day-of-week (for Spring syntax, write 'spring: ...')" : "";
        return head + "fields day-of-month and day-of-week together: " + reason(whole) + hint + fields;
    }

    private static String reason(IllegalArgumentException e) {
        return e.getMessage().replace("Failed to parse cron expression. ", "");
    }

    private CronSyntax() {}
}
