package io.pgjobs;

/**
 * What an enqueue did: the job's id, and whether the request was a duplicate of an existing job with the same
 * idempotency key (then {@code id} is that existing job's, and nothing new was written).
 *
 * @param id the job's id: the new one, or the existing one for a duplicate
 * @param duplicate whether the request was a duplicate
 */
public record EnqueueResult(long id, boolean duplicate) {}
