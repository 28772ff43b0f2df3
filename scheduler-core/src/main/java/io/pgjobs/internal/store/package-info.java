/**
 * All of pgjobs' SQL. Only this package (and the jOOQ classes generated into {@code io.pgjobs.internal.db}) may
 * use JDBC beyond a {@code DataSource}, a {@code Connection} passed along as a transaction and
 * {@code SQLException}, jOOQ, or PgJDBC; {@code ArchitectureTest} enforces it. {@link
 * io.pgjobs.internal.store.Stores} builds each store once. Stores take and return pgjobs' own types.
 *
 * <p>One SQL style per layer: the hot path ({@link io.pgjobs.internal.store.JobWriter}, {@link
 * io.pgjobs.internal.store.ExecutionStore}), the chores and the dashboard's aggregates are hand-written SQL in
 * text blocks with {@code ?} parameters and the schema filled in by {@code String.formatted}; dynamic filters
 * and type-safe reads and writes use jOOQ's DSL. The claim itself is {@code claim_jobs} in migrations V10/V11,
 * called from {@link io.pgjobs.internal.store.ExecutionStore#claim} and tested by ClaimPlanTest.
 */
package io.pgjobs.internal.store;
