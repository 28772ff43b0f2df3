package io.pgjobs.internal.values;

/** A value as an error message quotes it: whole up to 60 characters, else cut, so the message stays readable. */
public final class Excerpt {
    private static final int LIMIT = 60;

    /** {@code value}, or its first 60 characters, "..." and its length; "null" for null. */
    public static String of(String value) {
        if (value == null) {
            return "null";
        }
        return value.length() <= LIMIT ? value
                : value.substring(0, LIMIT) + "... (" + value.length() + " characters)";
    }

    private Excerpt() {}
}
