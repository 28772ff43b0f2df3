package io.pgjobs.dashboard;

/**
 * A value the client sent, as an error message quotes it back: in single quotes, at most {@value #MAX_CODE_POINTS}
 * characters (then an ellipsis), and every character that is not plain visible text escaped as {@code \n},
 * {@code \t} or {@code \}{@code u0000}: control characters, which could break a log line or a terminal, and the
 * invisible format characters (a right-to-left override, a zero-width space) that can make a value read as another.
 * An error names the field and shows enough of the value to recognise it; sending back a value of a thousand
 * characters would only carry whatever the sender put in it.
 */
final class Excerpt {
    /** The most characters of a value an error quotes. */
    static final int MAX_CODE_POINTS = 100;

    private Excerpt() {}

    /** {@code value} quoted for an error message; {@code null} reads as null. */
    static String of(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder quoted = new StringBuilder("'");
        int shown = 0;
        for (int i = 0; i < value.length(); ) {
            if (shown == MAX_CODE_POINTS) {
                return quoted.append("…' (").append(value.codePointCount(0, value.length()))
                        .append(" characters)").toString();
            }
            int c = value.codePointAt(i);
            i += Character.charCount(c);
            shown++;
            switch (c) {
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                case '\\' -> quoted.append("\\\\");
                default -> {
                    if (visible(c)) {
                        quoted.appendCodePoint(c);
                    } else if (Character.isBmpCodePoint(c)) {
                        quoted.append(String.format("\\u%04x", c));
                    } else {
                        // a lone surrogate is a BMP code point; these are the supplementary ones: as their UTF-16 pair
                        quoted.append(String.format("\\u%04x\\u%04x", (int) Character.highSurrogate(c),
                                (int) Character.lowSurrogate(c)));
                    }
                }
            }
        }
        return quoted.append('\'').toString();
    }

    private static boolean visible(int c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }
}
