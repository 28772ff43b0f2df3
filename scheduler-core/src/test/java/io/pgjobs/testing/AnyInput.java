package io.pgjobs.testing;

import io.pgjobs.JobRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Values as users could pass them to the public API, for jqwik properties: mostly reasonable, often at the edge
 * of a limit, sometimes null or holding what PostgreSQL cannot store (U+0000, lone surrogates, instants beyond
 * its range).
 */
public final class AnyInput {

    /** Text of up to about {@code usualLength} characters, sometimes blank, longer, null, or unstorable. */
    @SuppressWarnings("unchecked")
    public static Arbitrary<String> text(int usualLength) {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.strings().alpha().numeric().withChars("._-: /\"'\\")
                        .ofMinLength(1).ofMaxLength(usualLength)),
                Tuple.of(2, Arbitraries.strings().all().ofMaxLength(usualLength + 10)),
                Tuple.of(1, Arbitraries.of("", " ", "\t", "\u0000", "a\u0000b", "\uD800", "x\uDC00",
                        "\uD83D\uDE00", "\\u0000", "\u00e9t\u00e9", "pgjobs.schedule", "pgjobs.x"))).injectNull(0.05);
    }

    /** Any instant Java has (null: none), with the supported range's edges and famous bad values often. */
    public static Arbitrary<Instant> instants() {
        Arbitrary<Instant> anywhere = Combinators.combine(
                Arbitraries.longs().between(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()),
                Arbitraries.longs().between(0, 999_999_999)).as(Instant::ofEpochSecond);
        Arbitrary<Instant> supported = Combinators.combine(
                Arbitraries.longs().between(JobRequest.MIN_RUN_AT.getEpochSecond(), JobRequest.MAX_RUN_AT.getEpochSecond()),
                Arbitraries.longs().between(0, 999_999).map(micros -> micros * 1000)).as(Instant::ofEpochSecond);
        Arbitrary<Instant> edges = Arbitraries.of(Instant.MIN, Instant.MAX, Instant.EPOCH, JobRequest.MIN_RUN_AT,
                JobRequest.MIN_RUN_AT.minusNanos(1), JobRequest.MAX_RUN_AT, JobRequest.MAX_RUN_AT.plusNanos(1),
                Instant.parse("-5000-01-01T00:00:00Z"), Instant.parse("+294277-01-01T00:00:00Z"));
        return Arbitraries.frequencyOf(Tuple.of(6, supported), Tuple.of(2, edges), Tuple.of(1, anywhere)).injectNull(0.05);
    }

    /** Any duration (null: none), negative or up to {@code Long.MAX_VALUE} seconds, with the limit's edges often. */
    public static Arbitrary<Duration> durations() {
        Arbitrary<Duration> anything = Combinators.combine(Arbitraries.longs(), Arbitraries.longs().between(0, 999_999_999))
                .as(Duration::ofSeconds);
        Arbitrary<Duration> reasonable = Arbitraries.longs().between(0, Duration.ofDays(3650).toMillis())
                .map(Duration::ofMillis);
        Arbitrary<Duration> edges = Arbitraries.of(Duration.ZERO, JobRequest.MAX_DELAY,
                JobRequest.MAX_DELAY.plusNanos(1), Duration.ofDays(365L * 300_000), Duration.ofNanos(-1));
        return Arbitraries.frequencyOf(Tuple.of(6, reasonable), Tuple.of(2, edges), Tuple.of(1, anything))
                .injectNull(0.05);
    }

    /** A JSON-able value: text, numbers, booleans, null, and lists and maps of them. */
    public static Arbitrary<Object> jsonValues() {
        Arbitrary<Object> scalar = Arbitraries.oneOf(text(20).map(s -> (Object) s), Arbitraries.longs().map(n -> (Object) n),
                Arbitraries.of(true, false).map(b -> (Object) b));
        Arbitrary<Object> list = scalar.list().ofMaxSize(3).map(l -> (Object) l);
        Arbitrary<Object> map = Arbitraries.maps(text(10).filter(k -> k != null), scalar).ofMaxSize(3).map(m -> (Object) m);
        return Arbitraries.oneOf(scalar, list, map);
    }

    /** Args: usually an object, sometimes something that is not one (a plain string, a number, null). */
    @SuppressWarnings("unchecked")
    public static Arbitrary<Object> args() {
        Arbitrary<Object> object = Arbitraries.maps(text(12).filter(k -> k != null), jsonValues()).ofMaxSize(4)
                .map(m -> (Object) m);
        return Arbitraries.frequencyOf(Tuple.of(8, object),
                Tuple.of(1, Arbitraries.oneOf(text(10).map(s -> (Object) s), Arbitraries.longs().map(n -> (Object) n))))
                .injectNull(0.05);
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
    }

    public static Arbitrary<Request> requests() {
        Arbitrary<Integer> priorities = Arbitraries.oneOf(Arbitraries.integers().between(-2, 12), Arbitraries.integers());
        Arbitrary<Integer> attempts = Arbitraries.oneOf(Arbitraries.integers().between(0, 1002), Arbitraries.integers());
        Arbitrary<Map<String, Object>> metadata = Arbitraries.maps(text(15).filter(k -> k != null), jsonValues())
                .ofMaxSize(3);
        Arbitrary<List<String>> tags = text(12).list().ofMaxSize(3);
        return Combinators.combine(Combinators.combine(text(30), args(), text(12), priorities).as((k, a, q, p) -> Tuple.of(k, a, q, p)),
                Combinators.combine(instants(), durations(), attempts, text(40)).as((r, d, m, i) -> Tuple.of(r, d, m, i)),
                tags, metadata)
                .as((a, b, t, m) -> new Request(a.get1(), a.get2(), a.get3(), a.get4(), b.get1(), b.get2(), b.get3(),
                        b.get4(), t, m));
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
                    + message, e);
        }
    }

    private AnyInput() {}
}
