package io.pgjobs.internal.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.pgjobs.spi.JobSerializer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default serializer: Jackson, with java.time support and ISO dates. Its parser buffers come from a pool
 * shared by all threads: Jackson's default keeps them per thread, and handlers run on a new virtual thread each,
 * so every job would allocate (and the kernel zero) fresh buffers.
 */
final class JacksonSerializer implements JobSerializer {
    private final ObjectMapper mapper = new ObjectMapper(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.newConcurrentDequePool()).build())
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /**
     * A reader per type, made once: {@code mapper.readValue(json, type)} resolves the type and looks up its
     * deserializer in the mapper's caches at every call, and a node reads every job's args through here.
     */
    private final Map<Class<?>, ObjectReader> readers = new ConcurrentHashMap<>();

    @Override
    public String toJson(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize " + value.getClass().getName() + " to JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    @Override
    public <T> T fromJson(String json, Class<T> type) {
        try {
            return readers.computeIfAbsent(type, mapper::readerFor).readValue(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot read JSON as " + type.getName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
