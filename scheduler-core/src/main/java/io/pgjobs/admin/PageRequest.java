package io.pgjobs.admin;

/**
 * A keyset page: up to {@code limit} (1..500) rows with an id below {@code beforeId} (null: the newest).
 *
 * @param beforeId only rows with an id below it; null for the newest
 * @param limit the most rows, 1 to {@link #MAX_LIMIT}
 */
public record PageRequest(Long beforeId, int limit) {
    /** The largest page. */
    public static final int MAX_LIMIT = 500;

    /**
     * Checks every field.
     *
     * @throws IllegalArgumentException naming the field that is bad
     */
    public PageRequest {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit: must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        if (beforeId != null && beforeId < 1) {
            throw new IllegalArgumentException("before: must be a positive job id, got " + beforeId);
        }
    }

    /**
     * The first page: the newest rows.
     *
     * @param limit the most rows, 1 to {@link #MAX_LIMIT}
     * @return the request
     */
    public static PageRequest first(int limit) {
        return new PageRequest(null, limit);
    }
}
