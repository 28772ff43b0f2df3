package io.pgjobs.spi;

/**
 * Turns job args, results and metadata into JSON text and back. The default uses Jackson; plug in another with
 * {@code Scheduler.Builder#serializer}. Implementations must be thread-safe and should throw
 * {@link IllegalArgumentException} for values they cannot represent.
 */
public interface JobSerializer {
    String toJson(Object value);

    <T> T fromJson(String json, Class<T> type);
}
