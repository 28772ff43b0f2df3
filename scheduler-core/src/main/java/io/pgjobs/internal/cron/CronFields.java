package io.pgjobs.internal.cron;

import com.cronutils.model.Cron;
import com.cronutils.model.field.CronFieldName;
import com.cronutils.model.field.expression.Always;
import com.cronutils.model.field.expression.And;
import com.cronutils.model.field.expression.Between;
import com.cronutils.model.field.expression.Every;
import com.cronutils.model.field.expression.FieldExpression;
import com.cronutils.model.field.expression.On;
import com.cronutils.model.field.expression.QuestionMark;
import com.cronutils.model.field.value.FieldValue;
import com.cronutils.model.field.value.SpecialChar;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A cron expression as the sets of values each field allows, and the search for the next wall-clock time that
 * matches them all. cron-utils parses and validates the expression; its own {@code ExecutionTime} is not used,
 * because it shortens ranges that wrap ({@code 22-2} fired at 22:00 only), throws on {@code 31W} in shorter
 * months, counts Spring's day-of-week steps from Sunday, and ignores cron's rule for a day-of-month or
 * day-of-week field that starts with {@code *}. Here the three syntaxes are read as their own implementations
 * read them (Quartz's and Spring's {@code CronExpression}, Vixie cron); see docs/cron.md.
 */
final class CronFields {
    /** The Gregorian calendar repeats every 400 years: an expression that matches no day in them never fires. */
    private static final int SEARCH_YEARS = 401;
    private static final int SECONDS = 60, MINUTES = 60, HOURS = 24, DAYS = 31, MONTHS = 12, WEEK = 7;

    private final BitSet seconds;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet months;
    /** Null: any year. */
    private final BitSet years;
    private final Predicate<LocalDate> days;
    /**
     * The fields as written, except those cron-utils' descriptions get wrong, spelled out as the values they
     * fire at: a stepped range that wraps (22-2/3 becomes 22,1), and a day-of-week with a step or a bare
     * {@code L} (Spring's *&#47;2 becomes MON,WED,FRI,SUN).
     */
    final List<String> describable;

    private CronFields(BitSet seconds, BitSet minutes, BitSet hours, BitSet months, BitSet years,
                       Predicate<LocalDate> days, List<String> describable) {
        this.seconds = seconds;
        this.minutes = minutes;
        this.hours = hours;
        this.months = months;
        this.years = years;
        this.days = days;
        this.describable = describable;
    }

    /**
     * Reads a validated expression of {@code dialect}; {@code values} are its fields as written. Throws
     * {@link IllegalArgumentException} naming the field for what the syntax does not allow (a wrapping range
     * outside Quartz, a bare {@code L} in day-of-week outside Quartz).
     */
    static CronFields read(CronDialect dialect, Cron cron, String[] values) {
        Reader reader = new Reader(dialect, cron, values);
        return new CronFields(
                dialect == CronDialect.UNIX ? single(0) : reader.values(CronFieldName.SECOND, 0, SECONDS - 1, SECONDS),
                reader.values(CronFieldName.MINUTE, 0, MINUTES - 1, MINUTES),
                reader.values(CronFieldName.HOUR, 0, HOURS - 1, HOURS),
                reader.values(CronFieldName.MONTH, 1, MONTHS, MONTHS),
                reader.years(),
                reader.days(),
                List.of(reader.describable));
    }

    /** The first matching wall-clock time strictly after {@code after} (whole seconds); empty when none is left. */
    Optional<LocalDateTime> nextAfter(LocalDateTime after) {
        LocalDateTime start = after.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        LocalDate date = start.toLocalDate();
        LocalTime from = start.toLocalTime();
        int lastYear = years == null ? date.getYear() + SEARCH_YEARS : years.length() - 1;
        while (date.getYear() <= lastYear) {
            if (years != null && !years.get(date.getYear())) {
                int year = years.nextSetBit(date.getYear());
                if (year < 0) {
                    return Optional.empty();
                }
                date = LocalDate.of(year, 1, 1);
                from = LocalTime.MIDNIGHT;
            } else if (!months.get(date.getMonthValue())) {
                date = date.withDayOfMonth(1).plusMonths(1);
                from = LocalTime.MIDNIGHT;
            } else {
                Optional<LocalTime> time = days.test(date) ? firstTimeFrom(from) : Optional.empty();
                if (time.isPresent()) {
                    return Optional.of(date.atTime(time.get()));
                }
                date = date.plusDays(1);
                from = LocalTime.MIDNIGHT;
            }
        }
        return Optional.empty();
    }

    /** Whether the expression matches any time at all, in any year it allows. */
    boolean canEverFire() {
        return nextAfter(LocalDateTime.of(1969, 12, 31, 23, 59, 59)).isPresent();
    }

    private Optional<LocalTime> firstTimeFrom(LocalTime from) {
        for (int h = hours.nextSetBit(from.getHour()); h >= 0; h = hours.nextSetBit(h + 1)) {
            boolean sameHour = h == from.getHour();
            for (int m = minutes.nextSetBit(sameHour ? from.getMinute() : 0); m >= 0; m = minutes.nextSetBit(m + 1)) {
                int s = seconds.nextSetBit(sameHour && m == from.getMinute() ? from.getSecond() : 0);
                if (s >= 0) {
                    return Optional.of(LocalTime.of(h, m, s));
                }
            }
        }
        return Optional.empty();
    }

    private static BitSet single(int value) {
        BitSet set = new BitSet();
        set.set(value);
        return set;
    }

    /** Turns cron-utils' model of one expression into value sets and a day predicate, by the dialect's rules. */
    private static final class Reader {
        private final CronDialect dialect;
        private final Cron cron;
        private final String[] values;
        private final String[] describable;

        Reader(CronDialect dialect, Cron cron, String[] values) {
            this.dialect = dialect;
            this.cron = cron;
            this.values = values;
            this.describable = values.clone();
        }

        private FieldExpression expression(CronFieldName field) {
            var cronField = cron.retrieve(field);
            return cronField == null ? Always.always() : cronField.getExpression();
        }

        private String name(CronFieldName field) {
            return switch (field) {
                case SECOND -> "second";
                case MINUTE -> "minute";
                case HOUR -> "hour";
                case DAY_OF_MONTH -> "day-of-month";
                case MONTH -> "month";
                case DAY_OF_WEEK -> "day-of-week";
                default -> "year";
            };
        }

        private String text(CronFieldName field) {
            return values[dialect.fields.indexOf(name(field))];
        }

        /** Spells the field out for its description as {@code values} and the special items left as written. */
        private void describeAs(CronFieldName field, List<String> values, FieldExpression expression) {
            List<String> spelled = new ArrayList<>(values);
            items(expression).stream().filter(item -> item instanceof On on
                    && on.getSpecialChar().getValue() != SpecialChar.NONE && !isBareL(item))
                    .forEach(item -> spelled.add(item.asString()));
            describable[dialect.fields.indexOf(name(field))] = String.join(",", spelled);
        }

        private boolean hasSteppedWrap(CronFieldName field) {
            return items(expression(field)).stream().anyMatch(item -> item instanceof Every every
                    && every.getExpression() instanceof Between between
                    && number(field, between.getFrom()) > number(field, between.getTo()));
        }

        BitSet values(CronFieldName field, int min, int max, int span) {
            BitSet set = new BitSet();
            FieldExpression expression = expression(field);
            for (FieldExpression item : items(expression)) {
                if (!(item instanceof On on) || on.getSpecialChar().getValue() == SpecialChar.NONE) {
                    addPlain(set, field, item, min, max, span);
                }
            }
            if (hasSteppedWrap(field)) {
                describeAs(field, set.stream().mapToObj(String::valueOf).toList(), expression);
            }
            return set;
        }

        BitSet years() {
            FieldExpression year = expression(CronFieldName.YEAR);
            return year instanceof Always ? null : values(CronFieldName.YEAR, 1970, 2099, 0);
        }

        /**
         * Adds the values of a plain item ({@code *}, {@code n}, {@code a-b}, with or without a step). A range
         * whose start is past its end wraps around as Quartz's {@code CronExpression.addToSet} does: through
         * the field's end and on from its start, keeping the step (22-2/3 is 22 and 1); in 1-based fields the
         * value after the end is the first (day-of-month 28-3 is 28..31, 1..3, whatever the month's length).
         */
        private void addPlain(BitSet set, CronFieldName field, FieldExpression item, int min, int max, int span) {
            int start, end, step = 1;
            FieldExpression range = item;
            if (item instanceof Every every) {
                step = every.getPeriod().getValue();
                range = every.getExpression();
            }
            switch (range) {
                case Always always -> { start = min; end = max; }
                case QuestionMark question -> { start = min; end = max; }
                case On on when on.getSpecialChar().getValue() == SpecialChar.NONE -> {
                    start = on.getTime().getValue();
                    end = item instanceof Every ? max : start;
                }
                case Between between -> {
                    start = number(field, between.getFrom());
                    end = number(field, between.getTo());
                    // Spring: "if used as a minimum in a range, Sunday means 0 (not 7)"
                    if (dialect == CronDialect.SPRING && field == CronFieldName.DAY_OF_WEEK && start == 7) {
                        start = 0;
                    }
                }
                default -> throw new IllegalArgumentException(name(field) + " field '" + text(field) + "': '"
                        + range.asString() + "' is not allowed here");
            }
            if (start <= end) {
                for (int v = start; v <= end; v += step) {
                    set.set(v);
                }
                return;
            }
            if (!dialect.wrapsRanges() || span == 0) {
                throw new IllegalArgumentException(name(field) + " field '" + text(field) + "': the range runs "
                        + "backwards; " + (span == 0 ? "years cannot wrap around" : dialect.title()
                        + " syntax has no ranges that wrap around (Quartz syntax has): split it in two at the "
                        + name(field) + "'s end"));
            }
            for (int v = start; v <= end + span; v += step) {
                int wrapped = v % span;
                set.set(wrapped == 0 && min == 1 ? span : wrapped);
            }
        }

        private int number(CronFieldName field, FieldValue<?> value) {
            if (value.getValue() instanceof Integer number) {
                return number;
            }
            throw new IllegalArgumentException(name(field) + " field '" + text(field) + "': '" + value
                    + "' is not allowed in a range");
        }

        private static List<FieldExpression> items(FieldExpression expression) {
            return expression instanceof And and ? and.getExpressions() : List.of(expression);
        }

        /** The days of week named without {@code L} or {@code #}, in the dialect's numbering. */
        private Set<DayOfWeek> plainDaysOfWeek() {
            Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
            BitSet numbers = new BitSet();
            boolean spellOut = false;
            FieldExpression expression = expression(CronFieldName.DAY_OF_WEEK);
            for (FieldExpression item : items(expression)) {
                spellOut |= item instanceof Every;
                if (isBareL(item)) {
                    spellOut = true;
                    if (dialect != CronDialect.QUARTZ) {
                        throw new IllegalArgumentException("day-of-week field '" + text(CronFieldName.DAY_OF_WEEK)
                                + "': a bare 'L' means Saturday in Quartz syntax only; write SAT, or 5L for the "
                                + "last Friday");
                    }
                    days.add(DayOfWeek.SATURDAY); // Quartz: "L" alone in day-of-week is 7, Saturday
                } else if (!(item instanceof On on) || on.getSpecialChar().getValue() == SpecialChar.NONE) {
                    addPlain(numbers, CronFieldName.DAY_OF_WEEK, item, dialect.firstDayOfWeek(),
                            dialect.lastDayOfWeek(), WEEK);
                }
            }
            numbers.stream().mapToObj(dialect::dayOfWeek).forEach(days::add);
            if (spellOut) {
                describeAs(CronFieldName.DAY_OF_WEEK, days.stream().map(d -> d.name().substring(0, 3)).toList(),
                        expression);
            }
            return days;
        }

        private static boolean isBareL(FieldExpression item) {
            return item instanceof On on && on.getSpecialChar().getValue() == SpecialChar.L
                    && on.getTime().getValue() == -1;
        }

        /** Which days fire: day-of-month and day-of-week combined as the dialect combines them. */
        Predicate<LocalDate> days() {
            FieldExpression dayOfMonth = expression(CronFieldName.DAY_OF_MONTH);
            FieldExpression dayOfWeek = expression(CronFieldName.DAY_OF_WEEK);
            Predicate<LocalDate> byMonth = dayOfMonthRule(dayOfMonth);
            Predicate<LocalDate> byWeek = dayOfWeekRule(dayOfWeek);
            return switch (dialect) {
                // exactly one of the two is '?', which cron-utils has checked
                case QUARTZ -> dayOfMonth instanceof QuestionMark ? byWeek : byMonth;
                case SPRING -> byMonth.and(byWeek);
                // Vixie cron: if either field starts with '*' both must match, else either may
                case UNIX -> text(CronFieldName.DAY_OF_MONTH).startsWith("*")
                        || text(CronFieldName.DAY_OF_WEEK).startsWith("*") ? byMonth.and(byWeek) : byMonth.or(byWeek);
            };
        }

        private Predicate<LocalDate> dayOfMonthRule(FieldExpression expression) {
            List<Predicate<LocalDate>> rules = new ArrayList<>();
            BitSet plain = values(CronFieldName.DAY_OF_MONTH, 1, DAYS, DAYS);
            rules.add(date -> plain.get(date.getDayOfMonth()));
            for (FieldExpression item : items(expression)) {
                if (item instanceof On on && on.getSpecialChar().getValue() != SpecialChar.NONE) {
                    rules.add(specialDayOfMonth(on));
                }
            }
            return rules.stream().reduce(Predicate::or).orElseThrow();
        }

        private Predicate<LocalDate> specialDayOfMonth(On on) {
            int offset = Math.max(on.getNth().getValue(), 0);
            return switch (on.getSpecialChar().getValue()) {
                case L -> date -> date.getDayOfMonth() == date.lengthOfMonth() - offset;
                case LW -> date -> date.equals(weekdayNearest(date.withDayOfMonth(date.lengthOfMonth())));
                case W -> {
                    int day = on.getTime().getValue();
                    // Quartz: a month shorter than the day has no fire for it (its findSmallestDay skips it)
                    yield date -> day <= date.lengthOfMonth() && date.equals(weekdayNearest(date.withDayOfMonth(day)));
                }
                default -> throw new IllegalArgumentException("day-of-month field '" + text(CronFieldName.DAY_OF_MONTH)
                        + "': '" + on.asString() + "' is not supported");
            };
        }

        /** Quartz's nW: the weekday nearest to {@code day} without leaving its month. */
        private static LocalDate weekdayNearest(LocalDate day) {
            return switch (day.getDayOfWeek()) {
                case SATURDAY -> day.getDayOfMonth() == 1 ? day.plusDays(2) : day.minusDays(1);
                case SUNDAY -> day.getDayOfMonth() == day.lengthOfMonth() ? day.minusDays(2) : day.plusDays(1);
                default -> day;
            };
        }

        private Predicate<LocalDate> dayOfWeekRule(FieldExpression expression) {
            Set<DayOfWeek> plain = plainDaysOfWeek();
            List<Predicate<LocalDate>> rules = new ArrayList<>();
            rules.add(date -> plain.contains(date.getDayOfWeek()));
            for (FieldExpression item : items(expression)) {
                if (item instanceof On on && on.getSpecialChar().getValue() != SpecialChar.NONE && !isBareL(item)) {
                    DayOfWeek day = dialect.dayOfWeek(on.getTime().getValue());
                    int nth = on.getNth().getValue();
                    rules.add(switch (on.getSpecialChar().getValue()) {
                        case L -> date -> date.getDayOfWeek() == day && date.plusWeeks(1).getMonth() != date.getMonth();
                        case HASH -> date -> date.getDayOfWeek() == day && (date.getDayOfMonth() - 1) / WEEK + 1 == nth;
                        default -> throw new IllegalArgumentException("day-of-week field '"
                                + text(CronFieldName.DAY_OF_WEEK) + "': '" + on.asString() + "' is not supported");
                    });
                }
            }
            return rules.stream().reduce(Predicate::or).orElseThrow();
        }
    }
}
