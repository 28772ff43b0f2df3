package io.pgjobs.benchmark;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * CPU time spent by the database server and by the node JVMs over a workload, so a figure can be read as
 * "where did the two cores go". The server's share is the postmaster and every backend under it; it is only
 * known for a server on this machine whose postmaster.pid can be read.
 */
final class CpuMeter {
    /** CPU time so far, in nanoseconds; {@code serverNanos} is -1 when the server's processes are unknown. */
    record Reading(long serverNanos, long nodesNanos) {
        /**
         * CPU milliseconds per 1,000 jobs since {@code start}, as "postgres X ms, nodes Y ms" with the measured
         * JVMs named {@code jvms}.
         */
        String perThousandJobs(Reading start, long jobs, String jvms) {
            return "postgres " + perThousand(serverNanos, start.serverNanos, jobs) + " ms, " + jvms + " "
                    + perThousand(nodesNanos, start.nodesNanos, jobs) + " ms";
        }

        String resultKeys(Reading start, long jobs) {
            return "pg_cpu_ms_per_1k=" + perThousand(serverNanos, start.serverNanos, jobs)
                    + " node_cpu_ms_per_1k=" + perThousand(nodesNanos, start.nodesNanos, jobs);
        }

        private static String perThousand(long end, long start, long jobs) {
            return start < 0 ? "unknown" : String.format(Locale.ROOT, "%.1f", (end - start) / 1e6 / jobs * 1_000);
        }
    }

    private final ProcessHandle server;
    private final List<ProcessHandle> nodes;

    CpuMeter(ProcessHandle server, List<ProcessHandle> nodes) {
        this.server = server;
        this.nodes = nodes;
    }

    Reading read() {
        long serverNanos = server == null ? -1
                : Stream.concat(Stream.of(server), server.descendants()).mapToLong(CpuMeter::cpuNanos).sum();
        return new Reading(serverNanos, nodes.stream().mapToLong(CpuMeter::cpuNanos).sum());
    }

    /**
     * Waits until the node JVMs have been quiet (under 5% of a core each) for half a second, at most
     * {@code timeout}; returns how long that took. After a warm-up on two busy cores the JIT compiler still has
     * a queue of methods to compile; left to run during a measured drain of a few seconds, it took half of a
     * node's CPU there.
     */
    Duration awaitNodesQuiet(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long quietBelow = nodes.size() * 25_000_000L; // 5% of a core over 500 ms, per node
        long last = read().nodesNanos();
        while (System.nanoTime() - start < timeout.toNanos()) {
            Thread.sleep(500);
            long now = read().nodesNanos();
            if (now - last < quietBelow) {
                break;
            }
            last = now;
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static long cpuNanos(ProcessHandle process) {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }
}
