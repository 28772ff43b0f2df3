package io.pgjobs.dashboard;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The schedules page's sentence for the cron expressions operators write most: five Unix fields with plain
 * numbers, day names, lists, ranges and steps, and the macros ({@code @daily}...), such as "at 09:00 on Mondays"
 * or "every 15 minutes on weekdays". Anything else (seconds, Quartz's L, W, # and ?, steps over ranges, or
 * "every 90s") is left to the scheduler's own description, which reads every expression it fires.
 */
final class ScheduleWording {
    private static final Map<String, String> MACROS = Map.of("@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *",
            "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0", "@daily", "0 0 * * *", "@midnight", "0 0 * * *",
            "@hourly", "0 * * * *");
    private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");
    private static final List<String> DAY_NAMES = List.of("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
            "Friday", "Saturday");
    private static final List<String> MONTHS = List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
            "OCT", "NOV", "DEC");
    private static final List<String> MONTH_NAMES = List.of("January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December");
    private static final Pattern LIST = Pattern.compile("[0-9A-Za-z]+(-[0-9A-Za-z]+)?(,[0-9A-Za-z]+(-[0-9A-Za-z]+)?)*");
    private static final Pattern STEP = Pattern.compile("\\*/([0-9]+)");

    private ScheduleWording() {}

    /** The sentence for {@code expression}, or empty when it is not one of the shapes this reads. */
    static Optional<String> describe(String expression) {
        String cron = MACROS.getOrDefault(expression.strip().toLowerCase(Locale.ROOT), expression.strip());
        String[] f = cron.split("\\s+");
        if (f.length != 5) {
            return Optional.empty();
        }
        try {
            Optional<String> time = time(f[0], f[1]);
            Optional<String> days = days(f[2], f[3], f[4]);
            return time.isEmpty() || days.isEmpty() ? Optional.empty()
                    : Optional.of((time.get() + " " + days.get()).strip());
        } catch (IllegalArgumentException unreadable) {
            return Optional.empty();
        }
    }

    /** The minute and hour fields: "at 09:00 and 17:00", "every 15 minutes", "at minute 30 of every hour". */
    private static Optional<String> time(String minute, String hour) {
        var minuteStep = STEP.matcher(minute);
        if (minute.equals("*") || minuteStep.matches()) {
            String every = minute.equals("*") || minuteStep.group(1).equals("1") ? "every minute"
                    : "every " + minuteStep.group(1) + " minutes";
            if (hour.equals("*")) {
                return Optional.of(every);
            }
            List<Integer> hours = values(hour, 0, 23, List.of());
            if (hours == null) {
                return Optional.empty();
            }
            return Optional.of(every + " " + (isRange(hour) ? "from " + pad(hours.getFirst()) + ":00 to "
                    + pad(hours.getLast()) + ":59" : "during the hour" + (hours.size() > 1 ? "s" : "") + " of "
                    + join(hours.stream().map(h -> pad(h) + ":00").toList())));
        }
        List<Integer> minutes = values(minute, 0, 59, List.of());
        if (minutes == null) {
            return Optional.empty();
        }
        var hourStep = STEP.matcher(hour);
        if (hour.equals("*") || hourStep.matches()) {
            String at = "at minute" + (minutes.size() > 1 ? "s " : " ") + join(minutes.stream().map(String::valueOf).toList());
            return Optional.of(hour.equals("*") || hourStep.group(1).equals("1") ? at + " of every hour"
                    : at + " every " + hourStep.group(1) + " hours");
        }
        List<Integer> hours = values(hour, 0, 23, List.of());
        if (hours == null || hours.size() * minutes.size() > 6) {
            return Optional.empty();
        }
        List<String> times = new ArrayList<>();
        for (int h : hours) {
            for (int m : minutes) {
                times.add(pad(h) + ":" + pad(m));
            }
        }
        return Optional.of("at " + join(times));
    }

    /** Day of month, month and weekday: "on Mondays", "on weekdays", "on the 1st of each month", "" for every day. */
    private static Optional<String> days(String dayOfMonth, String month, String dayOfWeek) {
        String months = "";
        if (!month.equals("*")) {
            List<Integer> m = values(month, 1, 12, MONTHS);
            if (m == null) {
                return Optional.empty();
            }
            months = " in " + join(m.stream().map(i -> MONTH_NAMES.get(i - 1)).toList());
        }
        if (!dayOfMonth.equals("*") && !dayOfWeek.equals("*")) {
            return Optional.empty(); // cron's "either" rule reads badly in a sentence
        }
        if (!dayOfMonth.equals("*")) {
            List<Integer> d = values(dayOfMonth, 1, 31, List.of());
            if (d == null) {
                return Optional.empty();
            }
            return Optional.of("on the " + join(d.stream().map(ScheduleWording::ordinal).toList())
                    + (months.isEmpty() ? " of each month" : months));
        }
        if (!dayOfWeek.equals("*")) {
            List<Integer> d = values(dayOfWeek.replace("7", "0"), 0, 6, DAYS);
            if (d == null) {
                return Optional.empty();
            }
            List<Integer> sorted = d.stream().distinct().sorted().toList();
            String on = sorted.equals(List.of(1, 2, 3, 4, 5)) ? "on weekdays"
                    : sorted.equals(List.of(0, 6)) ? "on weekends"
                    : "on " + join(sorted.stream().map(i -> DAY_NAMES.get(i) + "s").toList());
            return Optional.of(on + months);
        }
        return Optional.of(months.isEmpty() ? "" : "every day" + months);
    }

    /**
     * The values a field of numbers or names lists, in the order written, or null for what this does not read
     * (steps, wildcards in a list, Quartz's letters); a value out of range is unreadable too.
     */
    private static List<Integer> values(String field, int min, int max, List<String> names) {
        if (!LIST.matcher(field).matches()) {
            return null;
        }
        List<Integer> values = new ArrayList<>();
        for (String part : field.split(",")) {
            String[] range = part.split("-");
            int from = value(range[0], names);
            int to = range.length == 2 ? value(range[1], names) : from;
            if (from < min || to > max || from > to) {
                return null;
            }
            for (int v = from; v <= to; v++) {
                values.add(v);
            }
        }
        return values;
    }

    private static int value(String text, List<String> names) {
        int named = names.indexOf(text.toUpperCase(Locale.ROOT));
        if (named >= 0) {
            return names == MONTHS ? named + 1 : named;
        }
        return Integer.parseInt(text); // a letter that names nothing is a NumberFormatException: unreadable
    }

    private static boolean isRange(String field) {
        return field.matches("[0-9]+-[0-9]+");
    }

    private static String pad(int n) {
        return n < 10 ? "0" + n : String.valueOf(n);
    }

    private static String ordinal(int n) {
        String suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }

    private static String join(List<String> items) {
        if (items.size() == 1) {
            return items.getFirst();
        }
        return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.getLast();
    }
}
