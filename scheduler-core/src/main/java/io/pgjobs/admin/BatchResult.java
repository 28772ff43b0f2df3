package io.pgjobs.admin;

/**
 * One batch of a bulk action: how many jobs it looked at, how many it changed, and where the next batch
 * starts ({@code nextCursor}, null when {@code done}).
 */
public record BatchResult(int scanned, int changed, Long nextCursor, boolean done) {}
