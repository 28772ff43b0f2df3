package io.pgjobs;

import io.pgjobs.internal.values.Excerpt;
import java.util.List;

/**
 * Where a limited queue finds a job's partition (see {@link Scheduler.Builder#partitionLimit}): a key a
 * {@link JobRequest#partitionKey request} gives always wins; otherwise the value at a path of the job's args or
 * metadata, as text. Jobs without a key share one partition.
 *
 * <pre>{@code
 * PartitionKey.args("customer", "id");  // args {"customer": {"id": 42}} -> partition "42"
 * PartitionKey.metadata("tenant");      // metadata {"tenant": "acme"} -> partition "acme"
 * PartitionKey.requestKey();            // only JobRequest.partitionKey(...)
 * }</pre>
 *
 * @param source where the key is read: {@code args}, {@code metadata}, or null for the request's key only
 * @param path the JSON path of the key in the source (object fields, or array indexes as digits); empty when
 *             the source is null
 */
public record PartitionKey(String source, List<String> path) {
    /**
     * Checks the source and the path.
     *
     * @throws IllegalArgumentException naming the value that is bad
     */
    public PartitionKey {
        if (source != null && !source.equals("args") && !source.equals("metadata")) {
            throw new IllegalArgumentException("partitionKey: source must be 'args', 'metadata' or null, was '"
                    + source + "'");
        }
        path = List.copyOf(path);
        if (source != null && path.isEmpty()) {
            throw new IllegalArgumentException("partitionKey: a path into the " + source + " is required");
        }
        if (source == null && !path.isEmpty()) {
            throw new IllegalArgumentException("partitionKey: a path needs a source ('args' or 'metadata')");
        }
        for (String field : path) {
            if (field == null || field.isBlank() || field.length() > 200) {
                throw new IllegalArgumentException("partitionKey: path fields must be 1 to 200 non-blank "
                        + "characters, was '" + Excerpt.of(field) + "' in " + Excerpt.of(path.toString()));
            }
        }
    }

    /**
     * The value at {@code path} in the job's args.
     *
     * @param path the JSON path
     * @return the partition key
     */
    public static PartitionKey args(String... path) {
        return new PartitionKey("args", List.of(path));
    }

    /**
     * The value at {@code path} in the job's metadata.
     *
     * @param path the JSON path
     * @return the partition key
     */
    public static PartitionKey metadata(String... path) {
        return new PartitionKey("metadata", List.of(path));
    }

    /** {@return a partition key that takes only the key the request gives ({@link JobRequest#partitionKey})} */
    public static PartitionKey requestKey() {
        return new PartitionKey(null, List.of());
    }
}
