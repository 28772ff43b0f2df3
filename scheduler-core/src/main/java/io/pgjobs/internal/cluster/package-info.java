/**
 * The cluster: many nodes (JVMs on many hosts) sharing one database.
 *
 * <p>Each node registers in {@code nodes} and heartbeats in database time ({@code Heartbeat}).
 * One node leads: it holds a session advisory lock on a connection of its own
 * ({@code LeaderElector}), and only it runs the maintenance chores, all built on one
 * template ({@code MaintenanceChore}): the lease rescuer, retention and dead-node
 * cleanup. Their SQL lives in {@code NodeStore} and
 * {@code MaintenanceStore}. Correctness never rests on there being one leader only:
 * every chore statement is guarded and skips locked rows, so a brief overlap while leadership moves is harmless.
 * See docs/cluster.md.
 */
package io.pgjobs.internal.cluster;
