package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgjobs.testing.AnyInput;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Tries;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client's jsonb text ({@link JsonbText}, from which the bulk enqueue computes the args checksum of V34) is the
 * server's own, {@code sha256(convert_to(args::text, 'UTF8'))} of the stored jsonb, for JSON written in every form
 * the database accepts (any spacing and key order, escapes, numbers with exponents and trailing zeros, nesting) and
 * for args as Jackson writes them; and it is left to the database (null) only where its class comment says.
 */
class JsonbTextPropertyTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    private static final ObjectMapper JACKSON = new ObjectMapper();
    private static final String KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. \"\\/\t";
    private static final String TEXT_CHARS = "ab z09\"\\/\b\f\n\r\t\u0001\u001f\u007f\u0080\u00e9\u00ff\u2028\u20ac\uffff";

    /** A document the database accepts, and whether it holds what the client leaves to the database. */
    private record Document(String json, boolean leftToDatabase) {}

    @Test
    void theClientsTextAndChecksumAreTheServers() {
        Tries.check(40, any -> any.listOf(50, 50, () -> document(any)), documents -> {
            List<String[]> server = serverTexts(documents.stream().map(Document::json).toList());
            int computed = 0;
            for (int i = 0; i < documents.size(); i++) {
                Document document = documents.get(i);
                String text = JsonbText.of(document.json());
                if (document.leftToDatabase()) {
                    assertThat(text).as("left to the database: %s", document.json()).isNull();
                    continue;
                }
                assertThat(text).as("the jsonb text of %s", document.json()).isEqualTo(server.get(i)[0]);
                assertThat(JsonbText.sha256Hex(document.json())).as("the checksum of %s", document.json())
                        .isEqualTo(server.get(i)[1]);
                computed++;
            }
            assertThat(computed).as("documents the client computed").isPositive();
        });
    }

    @Test
    void argsAsJacksonWritesThemGetTheServersChecksum() throws Exception {
        List<String> edges = new ArrayList<>();
        for (double d : new double[] {0.0, -0.0, 1.0, 0.1, 1e-7, 1.5e-5, 1e20, 1e21, 1.7976931348623157e308,
                4.9e-324, 2.2250738585072014e-308, -123.456, 100.0, 1e7, 12345678.9}) {
            edges.add(JACKSON.writeValueAsString(Map.of("d", d, "f", (float) d)));
        }
        edges.add(JACKSON.writeValueAsString(Map.of("big", new BigDecimal("1.500E+3"), "small", new BigDecimal("0E-10"),
                "int", Long.MIN_VALUE, "list", List.of(1, "x", List.of(), Map.of()), "nothing", Map.of())));
        assertLikeTheServer(edges);
        assertThat(edges).allSatisfy(json -> assertThat(JsonbText.of(json)).as(json).isNotNull());
        Tries.check(40, any -> any.listOf(20, 20, any::args), values -> {
            List<String> args = new ArrayList<>();
            for (Object value : values) {
                String json = JACKSON.writeValueAsString(value);
                if (isStorable(json)) {
                    args.add(json);
                }
            }
            assertLikeTheServer(args);
        });
    }

    /** Each document's client text and checksum, where the client computes them, are the server's. */
    private static void assertLikeTheServer(List<String> documents) throws Exception {
        List<String[]> server = serverTexts(documents);
        for (int i = 0; i < documents.size(); i++) {
            String text = JsonbText.of(documents.get(i));
            if (text != null) {
                assertThat(text).as("the jsonb text of %s", documents.get(i)).isEqualTo(server.get(i)[0]);
                assertThat(JsonbText.sha256Hex(documents.get(i))).as("the checksum of %s", documents.get(i))
                        .isEqualTo(server.get(i)[1]);
            }
        }
    }

    @Test
    void whatRestsOnMoreThanJsonbsRulesIsLeftToTheDatabase() {
        assertThat(JsonbText.of("{\"a\": 1, \"a\": 2}")).as("a duplicate key").isNull();
        assertThat(JsonbText.of("{\"\u00e9\": 1}")).as("a key that is not ASCII").isNull();
        assertThat(JsonbText.of("[\"\\u0000\"]")).as("U+0000, which jsonb refuses").isNull();
        assertThat(JsonbText.of("[\"\\ud83d\"]")).as("a lone surrogate").isNull();
        assertThat(JsonbText.of("[1e100000]")).as("a number past numeric's range").isNull();
        assertThat(JsonbText.of("[1e-2147483649]")).as("an exponent past an int").isNull();
        assertThat(JsonbText.of("1 2")).as("two values").isNull();
        assertThat(JsonbText.of("{\"a\": ")).as("not JSON").isNull();
        assertThat(JsonbText.of("[NaN]")).as("not JSON either").isNull();
    }

    /** The server's jsonb text and its checksum (hex) for each document, in one round trip. */
    private static List<String[]> serverTexts(List<String> documents) throws Exception {
        List<String[]> texts = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     select d::jsonb::text, encode(sha256(convert_to(d::jsonb::text, 'UTF8')), 'hex')
                     from unnest(?::text[]) with ordinality as t(d, ord) order by ord""")) {
            Array array = c.createArrayOf("text", documents.toArray());
            ps.setArray(1, array);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    texts.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        }
        assertThat(texts).hasSize(documents.size());
        return texts;
    }

    /**
     * Whether the server stores {@code json} as it is (AnyInput's text holds U+0000, which jsonb refuses, and lone
     * surrogates, which are not sent as themselves).
     */
    private static boolean isStorable(String json) {
        if (json.contains("\\u0000")) {
            return false;
        }
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < json.length() && Character.isLowSurrogate(json.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static Document document(AnyInput any) {
        boolean[] left = new boolean[1];
        StringBuilder json = new StringBuilder();
        space(any, json);
        if (any.chance(0.9)) {
            container(any, json, 0, left);
        } else {
            scalar(any, json);
        }
        space(any, json);
        return new Document(json.toString(), left[0]);
    }

    private static void container(AnyInput any, StringBuilder json, int depth, boolean[] left) {
        boolean object = any.chance(0.7);
        json.append(object ? '{' : '[');
        int size = (int) any.between(0, depth == 0 ? 6 : 3);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                json.append(',');
            }
            space(any, json);
            if (object) {
                String key = keys.isEmpty() || !any.chance(0.03) ? any.string(KEY_CHARS, 0, 8) : any.oneOf(keys);
                if (any.chance(0.03)) {
                    key = key + any.oneOf("\u00e9", "\u20ac", "\ud83d\ude00");
                }
                left[0] |= keys.contains(key) || !key.chars().allMatch(c -> c < 0x80);
                keys.add(key);
                string(any, key, json);
                space(any, json);
                json.append(':');
                space(any, json);
            }
            if (depth < 3 && any.chance(0.25)) {
                container(any, json, depth + 1, left);
            } else {
                scalar(any, json);
            }
            space(any, json);
        }
        json.append(object ? '}' : ']');
    }

    private static void scalar(AnyInput any, StringBuilder json) {
        switch (any.weighted(4, 5, 1, 1, 1)) {
            case 0 -> string(any, any.string(TEXT_CHARS, 0, 12) + (any.chance(0.1) ? "\ud83d\ude00" : ""), json);
            case 1 -> number(any, json);
            case 2 -> json.append("true");
            case 3 -> json.append("false");
            default -> json.append("null");
        }
    }

    /** A number in any form JSON allows: a sign, leading and trailing digits, an exponent of either case and sign. */
    private static void number(AnyInput any, StringBuilder json) {
        if (any.chance(0.3)) {
            json.append('-');
        }
        json.append(any.chance(0.2) ? "0" : any.string("123456789", 1, 1) + any.string("0123456789", 0, any.chance(0.1) ? 40 : 5));
        if (any.chance(0.5)) {
            json.append('.').append(any.string("0123456789", 1, any.chance(0.1) ? 30 : 4));
        }
        if (any.chance(0.3)) {
            json.append(any.oneOf("e", "E")).append(any.oneOf("", "+", "-")).append(any.between(0, any.chance(0.1) ? 300 : 12));
        }
    }

    /** {@code text} as a JSON string, each character as itself or escaped in one of the ways JSON allows. */
    private static void string(AnyInput any, String text, StringBuilder json) {
        json.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean mustEscape = c == '"' || c == '\\' || c < 0x20;
            if (Character.isHighSurrogate(c)) { // a pair goes escaped or as itself, both halves alike
                char low = text.charAt(++i);
                json.append(any.chance(0.5) ? String.format("\\u%04x\\u%04X", (int) c, (int) low) : "" + c + low);
            } else if (mustEscape || any.chance(0.1)) {
                String shortForm = switch (c) {
                    case '"' -> "\\\"";
                    case '\\' -> "\\\\";
                    case '/' -> "\\/";
                    case '\b' -> "\\b";
                    case '\f' -> "\\f";
                    case '\n' -> "\\n";
                    case '\r' -> "\\r";
                    case '\t' -> "\\t";
                    default -> null;
                };
                json.append(shortForm != null && any.chance(0.7) ? shortForm
                        : String.format(any.chance(0.5) ? "\\u%04x" : "\\u%04X", (int) c));
            } else {
                json.append(c);
            }
        }
        json.append('"');
    }

    private static void space(AnyInput any, StringBuilder json) {
        if (any.chance(0.3)) {
            json.append(any.string(" \t\n\r", 1, 3));
        }
    }
}
