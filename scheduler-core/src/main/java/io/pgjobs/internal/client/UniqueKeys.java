package io.pgjobs.internal.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pgjobs.JobState;
import io.pgjobs.Uniqueness;
import io.pgjobs.internal.store.UniqueKey;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a request's {@link Uniqueness} into the key its job holds in the database. The key reads
 * {@code kind/queue/digest}: the digest (SHA-256) covers the states, the period and the args that count, in a
 * canonical JSON form (object keys sorted, no spaces), so args that differ only in key order or formatting, as
 * maps and records may produce, make the same key. The states and period are in it so that two requests with
 * different rules never share a key.
 *
 * <p>A number with a fraction or an exponent is written as the shortest double that is exactly it ({@code 1.50}
 * and {@code 1.5} alike as {@code 1.5}), as the keys made before exact decimals were; a number no double is
 * exactly ({@code 0.1000000000000000000001}, {@code 1e400}) is written as its decimal, so that it makes a key of its
 * own rather than that of the double nearest to it.
 */
final class UniqueKeys {
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    static UniqueKey of(String kind, String queue, String argsJson, Uniqueness uniqueness) {
        List<String> states = uniqueness.states().stream().map(JobState::dbName).toList();
        long periodMs = uniqueness.period() == null ? 0 : uniqueness.period().toMillis();
        String counted = canonical(kind, argsJson, uniqueness.fields());
        String digest = sha256(String.join(",", states) + "\n" + periodMs + "\n" + counted);
        return new UniqueKey(kind + "/" + queue + "/" + digest, periodMs, states);
    }

    /** The args that count, as canonical JSON: all of them, or an object of the named fields. */
    private static String canonical(String kind, String argsJson, List<String> fields) {
        try {
            Object args = canonicalNumbers(CANONICAL.readValue(argsJson, Object.class));
            if (fields.isEmpty()) {
                return CANONICAL.writeValueAsString(args);
            }
            if (!(args instanceof Map<?, ?> object)) {
                throw new IllegalArgumentException("unique: args of kind '" + kind + "' are not a JSON object, "
                        + "so they have no fields " + fields);
            }
            Map<String, Object> counted = new TreeMap<>();
            for (String field : fields) {
                if (!object.containsKey(field)) {
                    throw new IllegalArgumentException("unique: args of kind '" + kind + "' have no field '" + field
                            + "' (fields: " + object.keySet() + ")");
                }
                counted.put(field, object.get(field));
            }
            return CANONICAL.writeValueAsString(counted);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unique: args of kind '" + kind + "' are not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** {@code value} read with exact decimals, each written as the double that is exactly it, if one is. */
    private static Object canonicalNumbers(Object value) {
        if (value instanceof BigDecimal decimal) {
            double nearest = decimal.doubleValue();
            return Double.isFinite(nearest) && BigDecimal.valueOf(nearest).compareTo(decimal) == 0
                    ? (Object) nearest : decimal.stripTrailingZeros();
        }
        if (value instanceof Map<?, ?> object) {
            Map<Object, Object> numbers = new LinkedHashMap<>();
            object.forEach((key, member) -> numbers.put(key, canonicalNumbers(member)));
            return numbers;
        }
        if (value instanceof List<?> array) {
            return array.stream().map(UniqueKeys::canonicalNumbers).toList();
        }
        return value;
    }

    private static String sha256(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private UniqueKeys() {}
}
