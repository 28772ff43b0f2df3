package io.pgjobs.spi;

/**
 * Turns job args, results and metadata into JSON text and back. The default uses Jackson; plug in another with
 * {@code Scheduler.Builder#serializer}. Implementations must be thread-safe and should throw
 * {@link IllegalArgumentException} for values they cannot represent.
 */
public interface JobSerializer {
    /**
     * Writes a value as JSON.
     *
     * @param value the value
     * @return its JSON text
     */
    String toJson(Object value);

    /**
     * Reads JSON back as a value.
     *
     * @param <T> the value's type
     * @param json the JSON text
     * @param type the value's type
     * @return the value
     */
    <T> T fromJson(String json, Class<T> type);
}
