package io.pgjobs.internal.admin;

import com.cronutils.descriptor.CronDescriptor;
import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A schedule's expression in words and its next fire times, for display. Five fields read as Unix cron, six as
 * Spring's (with seconds); anything else is shown as written, with no fire times.
 */
final class CronText {
    record Described(String description, List<Instant> nextFireTimes) {}

    static Described describe(String expression, String timeZone, Instant from, int count) {
        Optional<Cron> cron = parse(expression);
        if (cron.isEmpty()) {
            return new Described(null, List.of());
        }
        ZoneId zone;
        try {
            zone = ZoneId.of(timeZone);
        } catch (DateTimeException unknownZone) {
            return new Described(CronDescriptor.instance(Locale.ENGLISH).describe(cron.get()), List.of());
        }
        ExecutionTime execution = ExecutionTime.forCron(cron.get());
        List<Instant> times = new ArrayList<>(count);
        ZonedDateTime at = from.atZone(zone);
        while (times.size() < count) {
            Optional<ZonedDateTime> next = execution.nextExecution(at);
            if (next.isEmpty()) {
                break;
            }
            times.add(next.get().toInstant());
            at = next.get();
        }
        return new Described(CronDescriptor.instance(Locale.ENGLISH).describe(cron.get()), times);
    }

    private static Optional<Cron> parse(String expression) {
        int fields = expression.trim().split("\\s+").length;
        CronType type = fields == 5 ? CronType.UNIX : fields == 6 ? CronType.SPRING : null;
        if (type == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new CronParser(CronDefinitionBuilder.instanceDefinitionFor(type)).parse(expression).validate());
        } catch (IllegalArgumentException notThisDialect) {
            return Optional.empty();
        }
    }

    private CronText() {}
}
