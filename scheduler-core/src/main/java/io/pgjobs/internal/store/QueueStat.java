package io.pgjobs.internal.store;

/**
 * One queue's backlog as the database saw it: {@code depth} due jobs waiting (counted up to a cap) and the age
 * in milliseconds of the oldest of them ({@code lagMs}, 0 when none is due).
 */
public record QueueStat(String queue, long depth, long lagMs) {}
