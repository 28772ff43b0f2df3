package io.pgjobs.admin;

/** A keyset page: up to {@code limit} (1..500) rows with an id below {@code beforeId} (null: the newest). */
public record PageRequest(Long beforeId, int limit) {
    public static final int MAX_LIMIT = 500;

    public PageRequest {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit: must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        if (beforeId != null && beforeId < 1) {
            throw new IllegalArgumentException("before: must be a positive job id, got " + beforeId);
        }
    }

    public static PageRequest first(int limit) {
        return new PageRequest(null, limit);
    }
}
