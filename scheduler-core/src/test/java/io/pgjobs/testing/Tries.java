package io.pgjobs.testing;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * Runs a property over generated inputs: each try draws its input from its own seed, so that a failure names
 * the one seed that reproduces it. With {@code -Dpgjobs.test.seed=<seed>} the first try uses that seed (the
 * failing input comes back first) and the others follow from it; without, the run starts from a random seed.
 */
public final class Tries {
    public static final String SEED_PROPERTY = "pgjobs.test.seed";
    private static final int MAX_SHOWN_LENGTH = 300;

    /** Checks {@code property} for {@code tries} inputs made by {@code generator}; fails on the first that breaks it. */
    public static <T> void check(int tries, Function<AnyInput, T> generator, ThrowingConsumer<T> property) {
        String configured = System.getProperty(SEED_PROPERTY);
        long first = configured == null || configured.isBlank() ? new SplittableRandom().nextLong()
                : Long.parseLong(configured.trim());
        SplittableRandom seeds = new SplittableRandom(first);
        for (int i = 0; i < tries; i++) {
            long seed = i == 0 ? first : seeds.nextLong();
            T input;
            try {
                input = generator.apply(new AnyInput(new SplittableRandom(seed)));
            } catch (Throwable e) {
                throw new AssertionError(header(i, tries, seed) + "generating the input failed", e);
            }
            try {
                property.accept(input);
            } catch (Throwable e) {
                throw new AssertionError(header(i, tries, seed) + "input: " + describe(input) + "\n" + summary(e), e);
            }
        }
    }

    /** What went wrong, and its root cause: a database error's reason is at the end of a long chain. */
    private static String summary(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String summary = e.getClass().getName() + ": " + describe(e.getMessage());
        return root == e ? summary : summary + "\nroot cause " + root.getClass().getName() + ": " + describe(root.getMessage());
    }

    private static String header(int i, int tries, long seed) {
        return "property failed on try " + (i + 1) + " of " + tries + " with seed " + seed
                + " (rerun with -D" + SEED_PROPERTY + "=" + seed + " to try this input first)\n";
    }

    /**
     * {@code value} for a failure message: strings quoted with every character that is not printable ASCII
     * escaped (a raw U+0000 or lone surrogate would be invisible, or break the test report), long ones
     * shortened; records, collections and maps taken apart.
     */
    public static String describe(Object value) {
        StringBuilder out = new StringBuilder();
        describe(value, out);
        return out.toString();
    }

    private static void describe(Object value, StringBuilder out) {
        switch (value) {
            case null -> out.append("null");
            case String s -> quote(s, out);
            case Character c -> quote(String.valueOf(c), out);
            case Optional<?> o when o.isEmpty() -> out.append("Optional.empty");
            case Optional<?> o -> {
                out.append("Optional[");
                describe(o.get(), out);
                out.append(']');
            }
            case Collection<?> c -> {
                out.append('[');
                joined(new ArrayList<>(c), out);
                out.append(']');
            }
            case Map<?, ?> m -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    out.append(first ? "" : ", ");
                    first = false;
                    describe(e.getKey(), out);
                    out.append('=');
                    describe(e.getValue(), out);
                }
                out.append('}');
            }
            case Record r -> {
                out.append(r.getClass().getSimpleName()).append('[');
                RecordComponent[] components = r.getClass().getRecordComponents();
                for (int i = 0; i < components.length; i++) {
                    out.append(i == 0 ? "" : ", ").append(components[i].getName()).append('=');
                    try {
                        components[i].getAccessor().setAccessible(true);
                        describe(components[i].getAccessor().invoke(r), out);
                    } catch (ReflectiveOperationException e) {
                        out.append('?');
                    }
                }
                out.append(']');
            }
            case Long l -> out.append(l).append('L');
            default -> out.append(value);
        }
    }

    private static void joined(List<?> values, StringBuilder out) {
        for (int i = 0; i < values.size(); i++) {
            out.append(i == 0 ? "" : ", ");
            describe(values.get(i), out);
        }
    }

    private static void quote(String s, StringBuilder out) {
        out.append('"');
        int shown = Math.min(s.length(), MAX_SHOWN_LENGTH);
        for (int i = 0; i < shown; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        out.append(c);
                    } else {
                        out.append(String.format("\\u%04X", (int) c));
                    }
                }
            }
        }
        out.append('"');
        if (shown < s.length()) {
            out.append("...(").append(s.length()).append(" characters)");
        }
    }

    private Tries() {}
}
