package io.pgjobs.internal.values;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * What PostgreSQL can store, checked before anything is sent, so that a value it cannot take fails with an
 * {@link IllegalArgumentException} naming its field, instead of a database error or a quietly altered value.
 * <ul>
 *   <li>{@code text} and {@code jsonb} cannot hold the character U+0000, written raw or as a JSON escape.</li>
 *   <li>A lone UTF-16 surrogate has no UTF-8 form: PgJDBC would send {@code ?} in its place, and {@code jsonb}
 *       rejects it as an escape.</li>
 *   <li>A JSON number is stored as {@code numeric}, which holds up to 131,072 digits before the point and 16,383
 *       after it: past that, jsonb refuses the document.</li>
 *   <li>Instants are kept between {@link #MIN_INSTANT} and {@link #MAX_INSTANT}. PostgreSQL's own range is
 *       wider, but PgJDBC converts a {@link java.sql.Timestamp} through a calendar that turns Julian before
 *       1582, and no job's time lies before 1970: the database's clock is later, so an earlier run time only
 *       means now.</li>
 * </ul>
 */
public final class PgValues {
    public static final Instant MIN_INSTANT = Instant.parse("1970-01-01T00:00:00Z");
    public static final Instant MAX_INSTANT = Instant.parse("9999-12-31T23:59:59.999999Z");
    /** numeric's digits before the decimal point, and after it. */
    private static final int NUMERIC_INTEGER_DIGITS = 131_072, NUMERIC_SCALE = 16_383;
    /** A delay is added to the database's now(): up to 1000 years keeps the result in range until year 8999. */
    public static final Duration MAX_DELAY = Duration.ofDays(365_250);

    /** {@code value} unchanged if PostgreSQL can store it as text. */
    public static String text(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                throw new IllegalArgumentException(field + ": contains the character U+0000 at index " + i
                        + ", which PostgreSQL cannot store");
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < value.length()
                        && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                } else {
                    throw loneSurrogate(field, c, i);
                }
            }
        }
        return value;
    }

    /**
     * {@code json} unchanged if PostgreSQL can store it as jsonb: {@link #text} holds for its characters, and no
     * unicode escape stands for U+0000 or a lone surrogate. Expects JSON, in which a backslash occurs only
     * inside strings, always starting an escape.
     */
    public static String json(String field, String json) {
        text(field, json);
        for (int i = json.indexOf('\\'); i >= 0; i = json.indexOf('\\', i)) {
            int escaped = unicodeEscape(json, i);
            if (escaped < 0) {
                i += 2;
            } else if (escaped == 0) {
                throw new IllegalArgumentException(field + ": contains the character U+0000 (as \\u0000 in its JSON "
                        + "at index " + i + "), which PostgreSQL cannot store");
            } else if (Character.isHighSurrogate((char) escaped)
                    && Character.isLowSurrogate((char) Math.max(0, unicodeEscape(json, i + 6)))) {
                i += 12;
            } else if (Character.isSurrogate((char) escaped)) {
                throw loneSurrogate(field, (char) escaped, i);
            } else {
                i += 6;
            }
        }
        return json;
    }

    /** The character of the JSON unicode escape (backslash, u, four hex digits) at {@code at}, or -1. */
    private static int unicodeEscape(String json, int at) {
        if (at + 6 > json.length() || json.charAt(at) != '\\' || json.charAt(at + 1) != 'u') {
            return -1;
        }
        int c = 0;
        for (int i = at + 2; i < at + 6; i++) {
            int digit = Character.digit(json.charAt(i), 16);
            if (digit < 0) {
                return -1;
            }
            c = c * 16 + digit;
        }
        return c;
    }

    private static IllegalArgumentException loneSurrogate(String field, char c, int index) {
        return new IllegalArgumentException(field + ": contains a lone UTF-16 surrogate (U+"
                + Integer.toHexString(c).toUpperCase(Locale.ROOT) + ") at index " + index
                + ", which has no UTF-8 form");
    }

    /**
     * {@code tree} unchanged if every number in it fits {@code numeric}. Expects a tree read with exact decimals
     * (see {@link PlainJson#MAPPER}): a double would already have turned a number out of its range into infinity.
     */
    public static JsonNode jsonNumbers(String field, JsonNode tree) {
        if (tree.isNumber()) {
            BigDecimal number = tree.decimalValue();
            if (number.scale() > NUMERIC_SCALE
                    || (number.signum() != 0 && number.precision() - number.scale() > NUMERIC_INTEGER_DIGITS)) {
                throw new IllegalArgumentException(field + ": the number " + Excerpt.of(tree.asText())
                        + " is out of range of PostgreSQL's numeric ("
                        + NUMERIC_INTEGER_DIGITS + " digits before the point, " + NUMERIC_SCALE + " after it)");
            }
        }
        for (JsonNode child : tree) {
            jsonNumbers(field, child);
        }
        return tree;
    }

    /** {@code instant} unchanged if it lies between {@link #MIN_INSTANT} and {@link #MAX_INSTANT}. */
    public static Instant instant(String field, Instant instant) {
        if (instant.isBefore(MIN_INSTANT) || instant.isAfter(MAX_INSTANT)) {
            throw new IllegalArgumentException(field + ": " + instant + " is outside the supported range "
                    + MIN_INSTANT + " to " + MAX_INSTANT);
        }
        return instant;
    }

    /** {@code delay} unchanged if it is neither negative nor over {@link #MAX_DELAY}. */
    public static Duration delay(String field, Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException(field + ": must not be negative, was " + delay);
        }
        if (delay.compareTo(MAX_DELAY) > 0) {
            throw new IllegalArgumentException(field + ": " + delay + " is over the limit of " + MAX_DELAY
                    + " (1000 years)");
        }
        return delay;
    }

    private PgValues() {}
}
