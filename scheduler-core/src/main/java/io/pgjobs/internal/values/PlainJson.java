package io.pgjobs.internal.values;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one Jackson mapper for pgjobs' own JSON: audit details, a schedule's stored metadata, the flow claim's
 * circuit keys, the literals of an args filter. These are JSON text PostgreSQL returns or JSON trees pgjobs
 * builds, never the application's objects, so they do not go through the {@link io.pgjobs.spi.JobSerializer}
 * an application may plug in (which may not be Jackson at all, and which turns args and results into JSON
 * and back); they need Jackson's defaults and nothing else. {@code io.pgjobs.internal.client.UniqueKeys} keeps a
 * mapper of its own, since it writes keys in sorted order.
 */
public final class PlainJson {
    /**
     * Shared and never reconfigured: an {@link ObjectMapper} is thread-safe once configured. It refuses text after
     * the value, which Jackson by default leaves unread: an args filter's {@code flag = true;} would be the boolean
     * {@code true}, and a clone's args {@code {"a": 1} {"a": 2}} the first object, not what was written. It reads
     * a number with a fraction or an exponent as the decimal written, not as a double: jsonb keeps every digit, so
     * a double would change a job's args when a clone copies them ({@code 0.1000000000000000000001} would become
     * {@code 0.1}, and {@code 1e400} the string {@code "Infinity"}) and would make an args filter match other
     * numbers than the one written.
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES).build();

    private PlainJson() {}
}
