package io.pgjobs.admin;

/**
 * A count that stops at a cap: {@code atLeast} means there are {@code value} or more.
 *
 * @param value the count, or its cap
 * @param atLeast whether counting stopped at the cap
 */
public record Count(long value, boolean atLeast) {}
