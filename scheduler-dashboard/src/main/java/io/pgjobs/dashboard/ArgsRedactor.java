package io.pgjobs.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.regex.Pattern;

/**
 * Hides secret fields of job args and metadata before they leave the server. The default replaces the value
 * of every key (at any depth) whose name contains password, secret, token or apiKey, ignoring case.
 */
@FunctionalInterface
public interface ArgsRedactor {
    TextNode REDACTED = TextNode.valueOf("[redacted]");

    /** Redacts {@code json} in place (it is a copy made for this response). */
    void redact(JsonNode json);

    static ArgsRedactor defaults() {
        return keysMatching(Pattern.compile("password|secret|token|api_?key", Pattern.CASE_INSENSITIVE));
    }

    /** Redacts the values of keys in which {@code pattern} finds a match. */
    static ArgsRedactor keysMatching(Pattern pattern) {
        return new ArgsRedactor() {
            @Override
            public void redact(JsonNode json) {
                if (json instanceof ObjectNode object) {
                    for (var field : object.properties()) {
                        if (pattern.matcher(field.getKey()).find()) {
                            field.setValue(REDACTED);
                        } else {
                            redact(field.getValue());
                        }
                    }
                } else if (json instanceof ArrayNode array) {
                    array.forEach(this::redact);
                }
            }
        };
    }
}
