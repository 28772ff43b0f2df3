package io.pgjobs.internal.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The text PostgreSQL prints for a JSON document stored as jsonb, worked out on the client: V34's args checksum is
 * the SHA-256 of that text, and the bulk enqueue sends it with the rows instead of having the database parse and
 * hash every job's args a second time (docs/performance.md, "Enqueue").
 *
 * <p>jsonb keeps nothing of its input's form. It prints an object's keys sorted by their length in bytes, then
 * bytewise; {@code ", "} between items and {@code ": "} after a key; a number as {@code numeric} prints it (every
 * digit, never an exponent, as many decimals as the input had once its exponent is applied: {@code 1.50} stays
 * {@code 1.50}, {@code 1.0E-3} is {@code 0.0010}, {@code 1e2} is {@code 100}); a string with only {@code "},
 * {@code \} and control characters escaped ({@code \b \f \n \r \t}, the rest as {@code \}{@code u00xx}), every
 * other character as itself. Where the text would rest on more than that, {@link #of} answers null and the
 * checksum is left to the database (V34's trigger computes it for a row inserted without one): input the database
 * would refuse or that Jackson reads otherwise (not one JSON value, a {@code \}{@code u0000}, a lone surrogate, a
 * number past {@code numeric}'s range), duplicate keys (jsonb keeps the last), and keys that are not ASCII (their
 * order is that of their bytes in the database's encoding, which need not be UTF-8). {@code JsonbTextPropertyTest}
 * holds it to the server's own {@code sha256(convert_to(args::text, 'UTF8'))}.
 */
final class JsonbText {
    private static final JsonFactory JSON = new JsonFactory();
    /** Numbers with more decimals than this, or an exponent past it, are left to the database. */
    private static final int MAX_SCALE = 1_000;
    /** jsonb's order of keys, for keys that are ASCII (one byte a character): shorter first, then bytewise. */
    private static final Comparator<Member> KEY_ORDER =
            Comparator.<Member>comparingInt(m -> m.key().length()).thenComparing(Member::key);

    private record Member(String key, String value) {}

    private JsonbText() {}

    /** The text jsonb prints for {@code json}; null when that is left to the database (see the class comment). */
    static String of(String json) {
        // IOException: Jackson refuses the input (the database refuses it too, or reads it otherwise): no text
        try (JsonParser parser = JSON.createParser(json)) {
            JsonToken first = parser.nextToken();
            StringBuilder out = new StringBuilder(json.length() + 16);
            if (!value(parser, first, out) || parser.nextToken() != null) {
                return null;
            }
            return out.toString();
        } catch (IOException e) {
            return null;
        }
    }

    /** The args checksum of V34 for {@code json}, as hex; null when it is left to the database. */
    static String sha256Hex(String json) {
        String text = of(json);
        return text == null ? null : HexFormat.of().formatHex(ClaimedJob.sha256(text));
    }

    private static boolean value(JsonParser parser, JsonToken token, StringBuilder out) throws IOException {
        if (token == null) { // the input ended
            return false;
        }
        return switch (token) {
            case START_OBJECT -> object(parser, out);
            case START_ARRAY -> array(parser, out);
            case VALUE_STRING -> string(parser.getText(), out);
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> number(parser.getText(), out);
            case VALUE_TRUE -> append(out, "true");
            case VALUE_FALSE -> append(out, "false");
            case VALUE_NULL -> append(out, "null");
            default -> false;
        };
    }

    private static boolean object(JsonParser parser, StringBuilder out) throws IOException {
        List<Member> members = new ArrayList<>();
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            if (!isAscii(key)) {
                return false;
            }
            StringBuilder member = new StringBuilder();
            if (!string(key, member)) {
                return false;
            }
            member.append(": ");
            if (!value(parser, parser.nextToken(), member)) {
                return false;
            }
            members.add(new Member(key, member.toString()));
        }
        if (token != JsonToken.END_OBJECT) {
            return false;
        }
        members.sort(KEY_ORDER);
        out.append('{');
        for (int i = 0; i < members.size(); i++) {
            if (i > 0 && members.get(i).key().equals(members.get(i - 1).key())) {
                return false; // a key given twice, next to each other once sorted
            }
            out.append(i == 0 ? "" : ", ").append(members.get(i).value());
        }
        out.append('}');
        return true;
    }

    private static boolean array(JsonParser parser, StringBuilder out) throws IOException {
        out.append('[');
        JsonToken token;
        for (boolean first = true; (token = parser.nextToken()) != JsonToken.END_ARRAY; first = false) {
            out.append(first ? "" : ", ");
            if (!value(parser, token, out)) {
                return false;
            }
        }
        out.append(']');
        return true;
    }

    /** As PostgreSQL's escape_json; false for what jsonb refuses or could not be sent as UTF-8. */
    private static boolean string(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c == 0) {
                        return false;
                    }
                    if (c < ' ') {
                        out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
                    } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                            && Character.isLowSurrogate(text.charAt(i + 1))) {
                        out.append(c).append(text.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        return false;
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
        return true;
    }

    /** As numeric prints the number: its decimals kept, its exponent applied (none below zero). */
    private static boolean number(String text, StringBuilder out) {
        BigDecimal number;
        try {
            number = new BigDecimal(text);
        } catch (NumberFormatException e) { // an exponent past an int: the database refuses it with its own error
            return false;
        }
        if (number.scale() > MAX_SCALE || number.scale() < -MAX_SCALE) {
            return false;
        }
        out.append((number.scale() < 0 ? number.setScale(0) : number).toPlainString());
        return true;
    }

    private static boolean append(StringBuilder out, String literal) {
        out.append(literal);
        return true;
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
