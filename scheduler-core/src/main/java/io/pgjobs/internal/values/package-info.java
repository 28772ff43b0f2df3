/**
 * Checks of what users pass in, shared by the public value types' setters ({@code JobRequest},
 * {@code SnoozeException}, {@code admin.JobFilter}) and the internals: {@link io.pgjobs.internal.values.PgValues}
 * (what PostgreSQL can store: no U+0000, no lone surrogate, instants in range) and
 * {@link io.pgjobs.internal.values.ArgsPredicate} (the operator's args filter); and
 * {@link io.pgjobs.internal.values.PlainJson}, the one Jackson mapper of pgjobs' own JSON, which the args filter
 * and the internals share. This package uses nothing else of pgjobs, so the public packages may use it without
 * reaching the engine.
 */
package io.pgjobs.internal.values;
