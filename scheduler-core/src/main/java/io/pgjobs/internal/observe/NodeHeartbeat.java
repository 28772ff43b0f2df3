package io.pgjobs.internal.observe;

import io.pgjobs.Health;

/**
 * Whether this node is alive and working, for {@link HealthChecker}'s {@value Health#NODE_CHECK} check. The
 * runtime's answer looks at its own loops; the cluster's node heartbeat can take its place without touching
 * the health checker.
 */
@FunctionalInterface
public interface NodeHeartbeat {
    Health.Check check();
}
