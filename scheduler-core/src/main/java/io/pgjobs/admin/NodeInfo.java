package io.pgjobs.admin;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A scheduler node as registered in the nodes table; {@code alive} means a recent heartbeat and no stop.
 * {@code leaderSince} is when the node became the cluster's leader, null if it does not lead. A node that
 * crashed or froze while leading keeps its mark until another node takes over, so the leader is the node that
 * is {@code alive} with a {@code leaderSince} (see docs/cluster.md). {@code concurrency} is how many jobs of each
 * of its queues it runs at once, by queue (empty for a node of a version before 27).
 *
 * @param id the node's id
 * @param host the host it runs on
 * @param pid its process id
 * @param version the pgjobs version it runs
 * @param queues the queues it works
 * @param kinds the job kinds it has handlers for
 * @param startedAt when it started
 * @param heartbeatAt its latest heartbeat
 * @param stoppedAt when it stopped; null while it runs
 * @param alive whether it heartbeat recently and did not stop
 * @param leaderSince when it became the leader; null if it does not lead
 * @param runningJobs how many jobs it runs now
 * @param concurrency how many jobs of each of its queues it runs at once, by queue
 */
public record NodeInfo(String id, String host, long pid, String version, List<String> queues, List<String> kinds,
                       Instant startedAt, Instant heartbeatAt, Instant stoppedAt, boolean alive, Instant leaderSince,
                       long runningJobs, Map<String, Integer> concurrency) {}
