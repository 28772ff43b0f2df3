package io.pgjobs.internal.values;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the args filter of {@link io.pgjobs.admin.JobFilter} ({@code customer_id = 42 and plan != "free"}) into
 * jsonb documents for containment tests ({@code args @> ?::jsonb}), bound as parameters. Only dotted names,
 * {@code =}, {@code !=}, {@code and} and JSON values are accepted, so nothing the user types reaches SQL text.
 */
public record ArgsPredicate(List<Term> terms) {
    /** {@code args @> contained}, or its negation. */
    public record Term(String containedJson, boolean negated) {}

    /**
     * The longest filter text and the deepest path read. Bounds, because the pattern below matches a path or a
     * quoted string through recursion, one level per character or segment: an unbounded text ends in a
     * StackOverflowError, and so would the JSON of an unbounded path.
     */
    public static final int MAX_LENGTH = 1000;
    public static final int MAX_PATH_DEPTH = 32;

    private static final Pattern TERM = Pattern.compile(
            "\\s*((?:args\\.)?[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*)\\s*(!=|=)\\s*"
                    + "(\"(?:[^\"\\\\]|\\\\.)*\"|[^\\s\"]+)\\s*");
    private static final Pattern AND = Pattern.compile("(?i)and\\b");

    public static ArgsPredicate parse(String text) {
        if (text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("args: the filter is " + text.length()
                    + " characters, over the limit of " + MAX_LENGTH);
        }
        PgValues.text("args", text);
        List<Term> terms = new ArrayList<>();
        Matcher term = TERM.matcher(text);
        Matcher and = AND.matcher(text);
        int at = 0;
        while (true) {
            if (!term.region(at, text.length()).lookingAt()) {
                throw new IllegalArgumentException("args: expected name = value at position " + at + " of '"
                        + text + "' (e.g. customer_id = 42 and plan != \"free\")");
            }
            String path = term.group(1).startsWith("args.") ? term.group(1).substring(5) : term.group(1);
            String[] names = path.split("\\.");
            if (names.length > MAX_PATH_DEPTH) {
                throw new IllegalArgumentException("args: the path " + Excerpt.of(path) + " has " + names.length
                        + " names, over the limit of " + MAX_PATH_DEPTH);
            }
            terms.add(new Term(PgValues.json("args", contained(names, value(term.group(3)))),
                    term.group(2).equals("!=")));
            at = term.end();
            if (at == text.length()) {
                return new ArgsPredicate(terms);
            }
            if (!and.region(at, text.length()).lookingAt()) {
                throw new IllegalArgumentException("args: expected 'and' at position " + at + " of '" + text + "'");
            }
            at = and.end();
        }
    }

    /** A JSON literal as written, or a bare word as a string. */
    private static JsonNode value(String literal) {
        try {
            JsonNode node = PlainJson.MAPPER.readTree(literal);
            if (node != null && node.isValueNode()) {
                return PgValues.jsonNumbers("args", node);
            }
        } catch (JsonProcessingException notJson) {
            if (literal.startsWith("\"")) {
                throw new IllegalArgumentException("args: bad string " + literal + ": " + notJson.getOriginalMessage());
            }
        }
        return JsonNodeFactory.instance.textNode(literal);
    }

    private static String contained(String[] path, JsonNode value) {
        JsonNode node = value;
        for (int i = path.length - 1; i >= 0; i--) {
            ObjectNode parent = JsonNodeFactory.instance.objectNode();
            parent.set(path[i], node);
            node = parent;
        }
        return node.toString();
    }
}
