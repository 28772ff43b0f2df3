package io.pgjobs.admin;

import java.time.Instant;
import java.util.List;

/** A scheduler node as registered in the nodes table; {@code alive} means a recent heartbeat and no stop. */
public record NodeInfo(String id, String host, long pid, String version, List<String> queues, List<String> kinds,
                       Instant startedAt, Instant heartbeatAt, Instant stoppedAt, boolean alive, long runningJobs) {}
