package io.pgjobs.internal.values;

/**
 * A value as an error message quotes it: whole up to 60 characters, else cut, so the message stays readable. The
 * cut falls between code points, never inside a surrogate pair, which would leave a character with no UTF-8 form.
 * (The dashboard, held to the public API, quotes what its clients send with an escaping excerpt of its own.)
 */
public final class Excerpt {
    private static final int LIMIT = 60;

    /** {@code value}, or its first 60 characters, "..." and its length in characters; "null" for null. */
    public static String of(String value) {
        if (value == null) {
            return "null";
        }
        int characters = value.codePointCount(0, value.length());
        return characters <= LIMIT ? value
                : value.substring(0, value.offsetByCodePoints(0, LIMIT)) + "... (" + characters + " characters)";
    }

    private Excerpt() {}
}
