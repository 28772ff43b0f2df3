package io.pgjobs.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hides secrets before anything leaves the server: job args, metadata and results, error messages and stack
 * traces, schedules' args and audit details. Two kinds of rule:
 * <ul>
 *   <li><b>key patterns</b>, found in the <em>normalized</em> name of a JSON key at any depth (lower case, every
 *       character but letters and digits removed: {@code API-KEY}, {@code api_key} and {@code apiKey} are all
 *       {@code apikey}); the key's whole value becomes {@value #REDACTED}. In free text (an error message, a stack
 *       trace) the value after such a name and {@code =} or {@code :} is hidden too
 *       ({@code password=hunter2}, {@code "apiKey": "k-1"});</li>
 *   <li><b>value patterns</b>, found in any string value or text: each match becomes {@value #REDACTED}. The
 *       default finds payment card numbers (13 to 19 digits, spaces or dashes between, passing the Luhn check)
 *       and {@code Bearer} tokens.</li>
 * </ul>
 * No dashboard role sees a redacted value, so the API also refuses args filters that name a hidden key or
 * contain a hidden value ({@link #hiddenIn}): a filter's answer would confirm the value.
 */
public final class Redactor {
    /** What a hidden value becomes. */
    public static final String REDACTED = "[redacted]";
    private static final TextNode REDACTED_NODE = TextNode.valueOf(REDACTED);

    /** Matched against normalized key names (see the class comment). */
    private static final Pattern DEFAULT_KEYS = Pattern.compile(
            "password|passwd|pwd|secret|token|apikey|authorization|credential|accesskey|privatekey|cookie");
    private static final Pattern CARD_NUMBER = Pattern.compile("(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d-])");
    private static final Pattern BEARER = Pattern.compile("(?i)\\bbearer\\s+[A-Za-z0-9._~+/=-]{8,}");
    /**
     * A name, then = or : and maybe quotes, before a value. Not a source file's name: {@code (TokenStore.java:42)}
     * in a stack trace is a line number.
     */
    private static final Pattern NAME = Pattern.compile(
            "([A-Za-z][\\w.-]*)(?<!\\.java|\\.kt|\\.scala|\\.groovy)[\"']?\\s*[:=]\\s*[\"']?");
    /** A value after a name: up to a space, quote, comma, semicolon, & or }. */
    private static final Pattern VALUE = Pattern.compile("[^\\s\"',;&}]+");

    private record ValueRule(Pattern pattern, Predicate<String> confirms) {}

    private final List<Pattern> keys;
    private final List<ValueRule> values;

    private Redactor(List<Pattern> keys, List<ValueRule> values) {
        this.keys = List.copyOf(keys);
        this.values = List.copyOf(values);
    }

    /** {@return the default keys (password, passwd, pwd, secret, token, apikey, authorization, credential, ...) and values} */
    public static Redactor defaults() {
        return new Redactor(List.of(DEFAULT_KEYS),
                List.of(new ValueRule(CARD_NUMBER, Redactor::luhn), new ValueRule(BEARER, match -> true)));
    }

    /** {@return rules that hide nothing: start here for rules of your own only} */
    public static Redactor none() {
        return new Redactor(List.of(), List.of());
    }

    /**
     * These rules plus keys whose normalized name {@code pattern} finds a match in, e.g. {@code iban|ssn}.
     *
     * @param pattern found in normalized key names
     * @return the rules with these keys added
     */
    public Redactor withKeys(Pattern pattern) {
        List<Pattern> more = new ArrayList<>(keys);
        more.add(Objects.requireNonNull(pattern, "pattern"));
        return new Redactor(more, values);
    }

    /**
     * These rules plus every match of {@code pattern} in a value or text, e.g. {@code \bDE\d{20}\b}.
     *
     * @param pattern found in values and text
     * @return the rules with these values added
     */
    public Redactor withValues(Pattern pattern) {
        List<ValueRule> more = new ArrayList<>(values);
        more.add(new ValueRule(Objects.requireNonNull(pattern, "pattern"), match -> true));
        return new Redactor(keys, more);
    }

    /**
     * Whether the value of a key named {@code name} is hidden.
     *
     * @param name the key's name
     * @return whether its value is hidden
     */
    public boolean hidesKey(String name) {
        String normalized = normalize(name);
        return !normalized.isEmpty() && keys.stream().anyMatch(p -> p.matcher(normalized).find());
    }

    /**
     * Redacts {@code json} in place (a copy made for one response) and returns it.
     *
     * @param json the JSON, changed in place
     * @return the same JSON
     */
    public JsonNode redact(JsonNode json) {
        if (json instanceof ObjectNode object) {
            for (var field : object.properties()) {
                field.setValue(hidesKey(field.getKey()) ? REDACTED_NODE : redact(field.getValue()));
            }
        } else if (json instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, redact(array.get(i)));
            }
        } else if (json != null && json.isTextual()) {
            String text = redact(json.textValue());
            return text.equals(json.textValue()) ? json : TextNode.valueOf(text);
        }
        return json;
    }

    /**
     * Free text (an error message, a stack trace) with hidden values and the values of hidden names replaced.
     *
     * @param text the text
     * @return the text with hidden values replaced
     */
    public String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String result = text;
        for (ValueRule rule : values) {
            result = rule.pattern().matcher(result).replaceAll(m ->
                    rule.confirms().test(m.group()) ? REDACTED : Matcher.quoteReplacement(m.group()));
        }
        return keys.isEmpty() ? result : redactNamedValues(result);
    }

    /** {@code password=hunter2} becomes {@code password=[redacted]}; the values of other names stay. */
    private String redactNamedValues(String text) {
        StringBuilder out = new StringBuilder(text.length());
        Matcher name = NAME.matcher(text);
        Matcher value = VALUE.matcher(text);
        int copied = 0;
        while (name.find()) {
            if (hidesKey(name.group(1)) && value.find(name.end()) && value.start() == name.end()) {
                out.append(text, copied, value.start()).append(REDACTED);
                copied = value.end();
                name.region(copied, text.length());
            }
        }
        return out.append(text, copied, text.length()).toString();
    }

    /**
     * What of an args filter ({@code customer_id = 42 and password = "hunter2"}) is hidden: the first word that
     * names a hidden key, or a value a value pattern finds, described for an error message; null when nothing.
     * Words are compared whole (every run of letters, digits and underscores), so a bare value that happens to be
     * such a name is refused too: refusing too much reveals nothing.
     */
    String hiddenIn(String argsFilter) {
        Matcher word = Pattern.compile("[A-Za-z0-9_-]+").matcher(argsFilter);
        while (word.find()) {
            if (hidesKey(word.group())) {
                return "the redacted field '" + word.group() + "'";
            }
        }
        return redact(argsFilter).equals(argsFilter) ? null : "a redacted value";
    }

    private static String normalize(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    }

    /** Whether a digit string (spaces and dashes ignored) passes the Luhn check of payment card numbers. */
    private static boolean luhn(String number) {
        String digits = number.replaceAll("[ -]", "");
        int sum = 0;
        for (int i = 0; i < digits.length(); i++) {
            int digit = digits.charAt(digits.length() - 1 - i) - '0';
            if (i % 2 == 1) {
                digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
            }
            sum += digit;
        }
        return sum % 10 == 0;
    }
}
