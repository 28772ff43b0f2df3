package io.pgjobs.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * CPU time spent by the database server and by the node JVMs over a workload, so a figure can be read as
 * "where did the two cores go". The server's share is the postmaster and every process under it, those that
 * exited since it started included (backends of closed connections, autovacuum and parallel workers); it is
 * only known for a server on this machine whose postmaster.pid can be read.
 */
final class CpuMeter {
    /**
     * CPU time so far, in nanoseconds; {@code serverNanos} is -1 when the server's processes are unknown,
     * {@code compilerNanos} (the part of {@code nodesNanos} spent by the JVMs' JIT compiler threads) -1 when
     * threads cannot be read (Linux only).
     */
    record Reading(long serverNanos, long nodesNanos, long compilerNanos) {
        /**
         * CPU milliseconds per 1,000 jobs since {@code start}, as "postgres X ms, nodes Y ms (JIT compiler Z)"
         * with the measured JVMs named {@code jvms}.
         */
        String perThousandJobs(Reading start, long jobs, String jvms) {
            String compiler = compilerNanos < 0 ? ""
                    : " (JIT compiler " + perThousand(compilerNanos, start.compilerNanos, jobs) + ")";
            return "postgres " + perThousand(serverNanos, start.serverNanos, jobs) + " ms, " + jvms + " "
                    + perThousand(nodesNanos, start.nodesNanos, jobs) + " ms" + compiler;
        }

        String resultKeys(Reading start, long jobs) {
            return resultKeys(start, jobs, "");
        }

        /** The RESULT keys, each name ending in {@code suffix} (a second reading of one run: "_from_ready"). */
        String resultKeys(Reading start, long jobs, String suffix) {
            return "pg_cpu_ms_per_1k" + suffix + "=" + perThousand(serverNanos, start.serverNanos, jobs)
                    + " node_cpu_ms_per_1k" + suffix + "=" + perThousand(nodesNanos, start.nodesNanos, jobs)
                    + " node_jit_cpu_ms_per_1k" + suffix + "=" + perThousand(compilerNanos, start.compilerNanos, jobs);
        }

        /** The server's CPU milliseconds per 1,000 jobs since {@code start}; NaN when its processes are unknown. */
        double serverMsPerThousand(Reading start, long jobs) {
            return start.serverNanos < 0 || serverNanos < 0 ? Double.NaN
                    : (serverNanos - start.serverNanos) / 1e6 / jobs * 1_000;
        }

        private static String perThousand(long end, long start, long jobs) {
            return start < 0 || end < 0 ? "unknown"
                    : String.format(Locale.ROOT, "%.1f", (end - start) / 1e6 / jobs * 1_000);
        }
    }

    /** The kernel's USER_HZ, the unit of /proc's CPU times: 100 on every Linux this benchmark runs on. */
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    private final ProcessHandle server;
    private final List<ProcessHandle> nodes;

    CpuMeter(ProcessHandle server, List<ProcessHandle> nodes) {
        this.server = server;
        this.nodes = nodes;
    }

    Reading read() {
        long serverNanos = server == null ? -1 : serverNanos();
        long compilerNanos = 0;
        for (ProcessHandle node : nodes) {
            long nanos = compilerThreadsNanos(node.pid());
            compilerNanos = nanos < 0 || compilerNanos < 0 ? -1 : compilerNanos + nanos;
        }
        return new Reading(serverNanos, nodes.stream().mapToLong(CpuMeter::cpuNanos).sum(), compilerNanos);
    }

    /**
     * The server's CPU time: that of the processes the postmaster started and reaped (read first, so a process
     * reaped in between is left out of this reading rather than counted twice), then that of the postmaster and
     * every live process under it. The live ones alone would lose the whole CPU time of each process that
     * exits between two readings: an autovacuum worker, a backend whose pool closed its connection.
     */
    private long serverNanos() {
        long reaped = reapedChildrenNanos(server.pid());
        long live = Stream.concat(Stream.of(server), server.descendants()).mapToLong(CpuMeter::cpuNanos).sum();
        return reaped < 0 ? -1 : reaped + live;
    }

    /**
     * The CPU time of the children a process waited for (and theirs), from /proc: cutime and cstime; -1 if
     * unreadable.
     */
    private static long reapedChildrenNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return ticks(stat, 13, 14) * 1_000_000_000L / CLOCK_TICKS_PER_SECOND;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * The sum of the given fields of a /proc stat line, counted from 0 after the command's closing parenthesis
     * (11 and 12 are utime and stime, 13 and 14 cutime and cstime), in clock ticks.
     */
    private static long ticks(String stat, int... fields) {
        String[] values = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = 0;
        for (int field : fields) {
            ticks += Long.parseLong(values[field]);
        }
        return ticks;
    }

    /**
     * CPU time of a JVM's JIT compiler threads ("C1/C2 CompilerThread"), from /proc; -1 if unreadable. A node
     * warmed up on two busy cores keeps compiling (and recompiling) through a drain of a few seconds: that share
     * is the JVM settling, not the cost of running jobs.
     */
    private static long compilerThreadsNanos(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return -1;
        }
        long ticks = 0;
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path thread : threads.toList()) {
                String stat;
                try {
                    stat = Files.readString(thread.resolve("stat"));
                } catch (IOException exited) {
                    continue; // the thread ended while we listed them
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                    ticks += ticks(stat, 11, 12); // utime, stime
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return ticks * 1_000_000_000L / CLOCK_TICKS_PER_SECOND;
    }

    /**
     * Waits until the node JVMs have been quiet (under 5% of a core each) for half a second, at most
     * {@code timeout}. After a warm-up on two busy cores the JIT compiler still has
     * a queue of methods to compile; left to run during a measured drain of a few seconds, it took half of a
     * node's CPU there.
     */
    void awaitNodesQuiet(Duration timeout) throws InterruptedException {
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
    }

    private static long cpuNanos(ProcessHandle process) {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }
}
