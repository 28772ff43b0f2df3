package io.pgjobs.admin;

import java.time.Duration;

/**
 * A queue as the dashboard shows it: runnable jobs waiting (capped count), jobs running, lag (how long the
 * oldest runnable job has been due; zero when none), its cluster-wide limit (null: none) and whether it is
 * paused, and its maximum depth (null: none), past which enqueueing to it is refused or waits
 * (docs/flow-control.md, "Backpressure").
 */
public record QueueInfo(String name, Count waiting, long running, Duration lag, Integer concurrencyLimit,
                        boolean paused, Integer maxDepth) {}
