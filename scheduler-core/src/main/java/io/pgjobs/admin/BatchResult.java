package io.pgjobs.admin;

/**
 * One batch of a bulk action: how many jobs it looked at, how many it changed, and where the next batch
 * starts ({@code nextCursor}, null when {@code done}).
 *
 * @param scanned how many jobs it looked at
 * @param changed how many it changed
 * @param nextCursor where the next batch starts; null when done
 * @param done whether no job is left to look at
 */
public record BatchResult(int scanned, int changed, Long nextCursor, boolean done) {}
