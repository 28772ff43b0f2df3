package io.pgjobs.testing;

import io.pgjobs.JobRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Values as users could pass them to the public API, for the property tests ({@link Tries}): mostly reasonable,
 * often at the edge of a limit, sometimes null or holding what PostgreSQL cannot store (U+0000, lone surrogates,
 * instants beyond its range). Everything is drawn from one seeded random, so a seed gives the same values again.
 */
public final class AnyInput {
    private static final String NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-: /\"'\\";
    /** Characters that break things more often than a uniformly drawn one would. */
    private static final char[] EDGE_CHARS = {'\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uFFFF', '\uFFFE',
            ' ', '\\', '"', '\n'};
    private static final List<String> UNSTORABLE = List.of("\u0000", "\uD800", "\uDFFF");
    private static final List<String> EDGE_TEXT = List.of("", " ", "\t", "\u0000", "a\u0000b", "\uD800", "x\uDC00",
            "\uD83D\uDE00", "\\u0000", "\u00e9t\u00e9", "pgjobs.schedule", "pgjobs.x", "a".repeat(10_000),
            "\u00e9".repeat(5_000) + "\u0000");
    private static final List<Instant> EDGE_INSTANTS = List.of(Instant.MIN, Instant.MAX, Instant.EPOCH,
            JobRequest.MIN_RUN_AT, JobRequest.MIN_RUN_AT.minusNanos(1), JobRequest.MAX_RUN_AT,
            JobRequest.MAX_RUN_AT.plusNanos(1), Instant.parse("-5000-01-01T00:00:00Z"),
            Instant.parse("+294277-01-01T00:00:00Z"));
    private static final List<Duration> EDGE_DURATIONS = List.of(Duration.ZERO, JobRequest.MAX_DELAY,
            JobRequest.MAX_DELAY.plusNanos(1), Duration.ofDays(365L * 300_000), Duration.ofNanos(-1),
            Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), Duration.ofSeconds(Long.MIN_VALUE));
    private static final List<Long> EDGE_LONGS = List.of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE,
            Long.MIN_VALUE + 1, Long.MAX_VALUE - 1, (long) Integer.MIN_VALUE, (long) Integer.MAX_VALUE);
    private static final List<Integer> EDGE_INTS = List.of(0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE,
            Integer.MIN_VALUE + 1, Integer.MAX_VALUE - 1);

    /** Focused tries put their one unusual value within about the first request. */
    private static final double FOCUS_SPAN = 8;

    private final SplittableRandom random;
    /*
     * A request has a dozen values and a batch several requests: if each value were unusual independently,
     * hardly any request would pass all its setters and reach the database. So half the tries are focused:
     * exactly one of their values is unusual (the one at which the probabilities asked for so far pass a random
     * point), which makes the telling case common, a single bad value amid good ones. The other half are wild:
     * every value is unusual with the probability asked for, scaled by a wildness drawn per try.
     */
    private final boolean focused;
    private final double focus;
    private final double wildness;
    private double asked;

    public AnyInput(SplittableRandom random) {
        this.random = random;
        this.focused = random.nextBoolean();
        this.focus = random.nextDouble(FOCUS_SPAN);
        double u = random.nextDouble();
        this.wildness = u * u;
    }

    /** Whether to draw an unusual value; a higher {@code probability} makes it likelier. */
    public boolean unusual(double probability) {
        if (focused) {
            double before = asked;
            asked += probability;
            return before <= focus && focus < asked;
        }
        return chance(Math.min(1, 3 * wildness * probability));
    }

    /** Text of up to about {@code usualLength} characters, sometimes blank, very long, null, or unstorable. */
    public String text(int usualLength) {
        if (unusual(0.05)) {
            return null;
        }
        if (!unusual(1 / 3.0)) {
            return string(NAME_CHARS, 1, usualLength);
        }
        return switch (random.nextInt(3)) {
            case 0 -> anyString(0, usualLength + 10);
            case 1 -> oneOf(EDGE_TEXT);
            default -> {
                String name = string(NAME_CHARS, 1, usualLength);
                int at = random.nextInt(name.length() + 1);
                yield name.substring(0, at) + oneOf(UNSTORABLE) + name.substring(at);
            }
        };
    }

    /** {@link #text} that is not null. */
    public String nonNullText(int usualLength) {
        return until(() -> text(usualLength), s -> s != null);
    }

    /** Any instant Java has (null: none), with the supported range's edges and famous bad values often. */
    public Instant instant() {
        if (unusual(0.05)) {
            return null;
        }
        if (!unusual(1 / 3.0)) {
            return Instant.ofEpochSecond(
                    between(JobRequest.MIN_RUN_AT.getEpochSecond(), JobRequest.MAX_RUN_AT.getEpochSecond()),
                    between(0, 999_999) * 1000); // PostgreSQL keeps microseconds
        }
        return chance(2 / 3.0) ? oneOf(EDGE_INSTANTS) : Instant.ofEpochSecond(
                between(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()), between(0, 999_999_999));
    }

    /** Any duration (null: none), negative or up to {@code Long.MAX_VALUE} seconds, with the limit's edges often. */
    public Duration duration() {
        if (unusual(0.05)) {
            return null;
        }
        if (!unusual(1 / 3.0)) {
            return Duration.ofMillis(between(0, Duration.ofDays(3650).toMillis()));
        }
        return chance(2 / 3.0) ? oneOf(EDGE_DURATIONS) : Duration.ofSeconds(anyLong(), between(0, 999_999_999));
    }

    /** A JSON-able value: text, numbers, booleans, null, and lists and maps of them. */
    public Object jsonValue() {
        return switch (random.nextInt(3)) {
            case 0 -> jsonScalar();
            case 1 -> listOf(0, 3, this::jsonScalar);
            default -> mapOf(0, 3, () -> nonNullText(10), this::jsonScalar);
        };
    }

    private Object jsonScalar() {
        return switch (random.nextInt(3)) {
            case 0 -> text(20);
            case 1 -> anyLong();
            default -> random.nextBoolean();
        };
    }

    /** Args: usually an object, sometimes something that is not one (a plain string, a number, null). */
    public Object args() {
        if (unusual(0.05)) {
            return null;
        }
        if (!unusual(1 / 9.0)) {
            return mapOf(0, 4, () -> nonNullText(12), this::jsonValue);
        }
        return random.nextBoolean() ? text(10) : (Object) anyLong();
    }

    /** The raw inputs of one {@link JobRequest}, each set through its setter by {@link #build()}. */
    public record Request(String kind, Object args, String queue, int priority, Instant runAt, Duration delay,
                          int maxAttempts, String idempotencyKey, List<String> tags, Map<String, Object> metadata) {

        /** The request, or empty if a setter rejected a value with an IllegalArgumentException naming its field. */
        public Optional<JobRequest> build() {
            Optional<JobRequest> built = attempt(() -> JobRequest.of(kind, args), "kind", "args");
            if (built.isEmpty()) {
                return built;
            }
            JobRequest r = built.get();
            // & rather than &&: every setter is tried, so each must reject its own bad value naming its field
            boolean valid = attempt(() -> r.queue(queue), "queue").isPresent()
                    & attempt(() -> r.priority(priority), "priority").isPresent()
                    & attempt(() -> r.maxAttempts(maxAttempts), "maxAttempts").isPresent()
                    & (runAt == null || attempt(() -> r.runAt(runAt), "runAt").isPresent())
                    & (delay == null || attempt(() -> r.delay(delay), "delay").isPresent())
                    & (idempotencyKey == null || attempt(() -> r.idempotencyKey(idempotencyKey), "idempotencyKey").isPresent())
                    & attempt(() -> r.tags(tags.toArray(String[]::new)), "tags").isPresent()
                    & metadata.entrySet().stream().allMatch(e ->
                            attempt(() -> r.metadata(e.getKey(), e.getValue()), "metadata key").isPresent());
            return valid ? Optional.of(r) : Optional.empty();
        }

        /** These inputs with run time, delay and idempotency key unset, as a schedule's job must have them. */
        public Request unscheduled() {
            return new Request(kind, args, queue, priority, null, null, maxAttempts, null, tags, metadata);
        }
    }

    /** A request's raw inputs; run time, delay and idempotency key are as often unset (null) as set. */
    public Request request() {
        return new Request(text(30), args(), text(12), number(0, 9, -2, 12), random.nextBoolean() ? null : instant(),
                random.nextBoolean() ? null : duration(), number(1, 1000, 0, 1002),
                random.nextBoolean() ? null : text(40), listOf(0, 3, () -> text(12)),
                mapOf(0, 3, () -> nonNullText(15), this::jsonValue));
    }

    /** An int from {@code min} to {@code max}; if unusual, one just beyond them or any int at all. */
    public int number(int min, int max, int unusualMin, int unusualMax) {
        if (!unusual(0.5)) {
            return (int) between(min, max);
        }
        return random.nextBoolean() ? (int) between(unusualMin, unusualMax) : anyInt();
    }

    /** Any long, its edges (0, ±1, the extremes) often. */
    public long anyLong() {
        return chance(0.15) ? oneOf(EDGE_LONGS) : random.nextLong();
    }

    /** Any int, its edges (0, ±1, the extremes) often. */
    public int anyInt() {
        return chance(0.15) ? oneOf(EDGE_INTS) : random.nextInt();
    }

    /** A long from {@code min} to {@code max}, both included. */
    public long between(long min, long max) {
        return max == Long.MAX_VALUE ? random.nextLong(min - 1, max) + 1 : random.nextLong(min, max + 1);
    }

    public boolean chance(double probability) {
        return random.nextDouble() < probability;
    }

    /** An index into {@code weights}, each drawn in proportion to its weight. */
    public int weighted(int... weights) {
        int pick = random.nextInt(Arrays.stream(weights).sum());
        for (int i = 0; ; i++) {
            pick -= weights[i];
            if (pick < 0) {
                return i;
            }
        }
    }

    @SafeVarargs
    public final <T> T oneOf(T... values) {
        return values[random.nextInt(values.length)];
    }

    public <T> T oneOf(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** A string of {@code minLength} to {@code maxLength} characters from {@code chars}. */
    public String string(String chars, int minLength, int maxLength) {
        int length = (int) between(minLength, maxLength);
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(chars.charAt(random.nextInt(chars.length())));
        }
        return s.toString();
    }

    /** A string of any UTF-16 units, lone surrogates and U+0000 included. */
    private String anyString(int minLength, int maxLength) {
        int length = (int) between(minLength, maxLength);
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(chance(0.1) ? EDGE_CHARS[random.nextInt(EDGE_CHARS.length)] : (char) random.nextInt(0x10000));
        }
        return s.toString();
    }

    public <T> List<T> listOf(int minSize, int maxSize, Supplier<T> element) {
        int size = (int) between(minSize, maxSize);
        List<T> list = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            list.add(element.get());
        }
        return list;
    }

    /** A map of up to {@code maxSize} entries (fewer when keys repeat). */
    public <K, V> Map<K, V> mapOf(int minSize, int maxSize, Supplier<K> key, Supplier<V> value) {
        int size = (int) between(minSize, maxSize);
        Map<K, V> map = new LinkedHashMap<>();
        for (int i = 0; i < size; i++) {
            map.put(key.get(), value.get());
        }
        return map;
    }

    /** The first value of {@code draw} that {@code accepted}; for conditions that most values meet. */
    public <T> T until(Supplier<T> draw, Predicate<T> accepted) {
        for (int i = 0; i < 1000; i++) {
            T value = draw.get();
            if (accepted.test(value)) {
                return value;
            }
        }
        throw new IllegalStateException("no acceptable value in 1000 draws");
    }

    /**
     * What {@code call} returns, or empty if it threw an {@link IllegalArgumentException} whose message starts
     * with one of {@code fields} (the field it names). Any other exception fails the property.
     */
    public static <T> Optional<T> attempt(Supplier<T> call, String... fields) {
        try {
            return Optional.of(call.get());
        } catch (IllegalArgumentException e) {
            requireNaming(e, fields);
            return Optional.empty();
        }
    }

    /** Fails unless {@code e}'s message starts with one of {@code fields} and a colon. */
    public static void requireNaming(IllegalArgumentException e, String... fields) {
        String message = String.valueOf(e.getMessage());
        if (Arrays.stream(fields).noneMatch(field -> message.startsWith(field + ": "))) {
            throw new AssertionError("expected a message naming one of " + Arrays.toString(fields) + ", got: "
                    + Tries.describe(message), e);
        }
    }
}
