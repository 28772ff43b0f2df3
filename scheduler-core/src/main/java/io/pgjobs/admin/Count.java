package io.pgjobs.admin;

/** A count that stops at a cap: {@code atLeast} means there are {@code value} or more. */
public record Count(long value, boolean atLeast) {}
