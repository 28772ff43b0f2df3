package io.pgjobs.internal.cron;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import java.time.DayOfWeek;
import java.util.List;
import java.util.Locale;

/**
 * A cron syntax: cron-utils' parser for it, its field names, an all-wildcard expression to probe single fields
 * in, and the rules in which the three syntaxes differ although cron-utils reads them into the same model
 * (see docs/cron.md): how day-of-week numbers name days, what a step over {@code *} starts from, whether a
 * range may wrap around, and how day-of-month and day-of-week combine.
 */
enum CronDialect {
    /** Vixie cron / cronie: day-of-week 0-7 with 0 and 7 Sunday; ranges must not wrap. */
    UNIX(CronType.UNIX, List.of("minute", "hour", "day-of-month", "month", "day-of-week"),
            List.of("*", "*", "*", "*", "*")),
    /** Quartz's CronExpression: day-of-week 1-7 with 1 Sunday; any range but the year's may wrap. */
    QUARTZ(CronType.QUARTZ, List.of("second", "minute", "hour", "day-of-month", "month", "day-of-week", "year"),
            List.of("0", "*", "*", "*", "*", "?", "*")),
    /** Spring's CronExpression (5.3+): day-of-week 0-7 with 0 and 7 Sunday, {@code *} is 1-7; ranges must not wrap. */
    SPRING(CronType.SPRING53, List.of("second", "minute", "hour", "day-of-month", "month", "day-of-week"),
            List.of("0", "*", "*", "*", "*", "*"));

    static final int DAY_OF_MONTH_INDEX = 3, DAY_OF_WEEK_INDEX = 5;

    final CronParser parser;
    final List<String> fields;
    private final List<String> wildcards;

    CronDialect(CronType type, List<String> fields, List<String> wildcards) {
        this.parser = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(type));
        this.fields = fields;
        this.wildcards = wildcards;
    }

    String title() {
        return name().charAt(0) + name().substring(1).toLowerCase(Locale.ROOT);
    }

    boolean fieldCountFits(int count) {
        return this == QUARTZ ? count == 6 || count == 7 : count == fields.size();
    }

    String fieldList() {
        return this == QUARTZ ? String.join(" ", fields.subList(0, 6)) + " [year]" : String.join(" ", fields);
    }

    /** The wildcard expression with only field {@code i} taken from {@code values}. */
    String probe(String[] values, int i) {
        String[] probe = wildcards.subList(0, values.length).toArray(String[]::new);
        probe[i] = values[i];
        if (this == QUARTZ && i == DAY_OF_MONTH_INDEX && values[i].equals("?")) {
            probe[DAY_OF_WEEK_INDEX] = "*";
        } else if (this == QUARTZ && i == DAY_OF_WEEK_INDEX && !values[i].equals("?")) {
            probe[DAY_OF_MONTH_INDEX] = "?";
        }
        return String.join(" ", probe);
    }

    /** Quartz wraps a range whose start is past its end (22-2 is 22, 23, 0, 1, 2); cron and Spring reject it. */
    boolean wrapsRanges() {
        return this == QUARTZ;
    }

    /** The first day-of-week number that {@code *} stands for, so {@code *}/2 counts from there. */
    int firstDayOfWeek() {
        return this == UNIX ? 0 : 1;
    }

    /** The last day-of-week number. */
    int lastDayOfWeek() {
        return 7;
    }

    /** The day a day-of-week number names in this syntax. */
    DayOfWeek dayOfWeek(int number) {
        if (this == QUARTZ) {
            return number == 1 ? DayOfWeek.SUNDAY : DayOfWeek.of(number - 1);
        }
        return number == 0 || number == 7 ? DayOfWeek.SUNDAY : DayOfWeek.of(number);
    }
}
