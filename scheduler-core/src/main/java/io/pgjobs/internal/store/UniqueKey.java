package io.pgjobs.internal.store;

import java.util.List;

/**
 * What makes a job unique beyond its idempotency key (see {@link io.pgjobs.Uniqueness}): {@code base} names its
 * kind, queue and args, {@code periodMs} (0 for none) the length of the periods it is unique within, and
 * {@code states} (database names) the states in which a job holds its key. The key stored is the base, followed
 * by the number of the database's current period when there is one (V17).
 */
public record UniqueKey(String base, long periodMs, List<String> states) {}
