/**
 * The cluster: many nodes (JVMs on many hosts) sharing one database.
 *
 * <p>Each node registers in {@code nodes} and heartbeats in database time ({@code Heartbeat}).
 * One node leads: it holds a session advisory lock on a connection of its own
 * ({@code LeaderElector}), and only it runs the chores ({@code LeaderChore}): those that work through a
 * backlog in capped batches on one template ({@code MaintenanceChore}: the lease rescuer, retention and
 * dead-node cleanup), the queue lag sampler that feeds the dashboard's lag chart, and the jobs vacuum
 * ({@code JobsVacuum}) that clears the dead index entries claims would otherwise walk. Their SQL, and the
 * leader's session, live in {@code io.pgjobs.internal.store}'s {@code NodeStore} and {@code MaintenanceStore}. Correctness never rests on there being one leader only:
 * every chore statement is guarded and skips locked rows (and two lag samples of one minute keep the larger
 * values), so a brief overlap while leadership moves is harmless.
 * See docs/cluster.md.
 */
package io.pgjobs.internal.cluster;
