package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The warm drain, shared by the drain and growth workloads: node JVMs warmed up on drains of their own, then
 * jobs enqueued while the queue is paused and worked off once the pause is lifted, timed by the database's own
 * timestamps (first start to last finish of those jobs).
 */
final class Drains {
    /** A drain's rate and where its CPU went ({@link CpuMeter.Reading#perThousandJobs} and its RESULT keys). */
    record Drained(double jobsPerS, String cpu, String cpuKeys) {}

    /**
     * Warm-up drains before the measured one. After one, a node's JIT compiler still took a larger share of the
     * measured drain's CPU than pgjobs' own work in the node, and more with two nodes on the two cores; after
     * three, a node is closer to one that has been running for a while, which is what a warm drain describes
     * (figures in docs/performance.md).
     */
    private static final int WARM_UP_DRAINS = 3;

    /**
     * Starts {@code nodes} node JVMs of the given queue concurrency and lets them warm up on drains of jobs of
     * their own, done just as the measured one (a drain of a few seconds would otherwise measure the JIT
     * compiler as much as pgjobs, and the more so the more JVMs share the work); then the measured drain of
     * {@code jobs}.
     */
    static Drained warm(Workload.Context context, String url, int nodes, int concurrency, int jobs) throws Exception {
        return warm(context, url, nodes, concurrency, jobs, FlowSetup.NONE);
    }

    /** The same, with the flow control of {@code flow} on the nodes' queue and its partitions on the jobs. */
    static Drained warm(Workload.Context context, String url, int nodes, int concurrency, int jobs, FlowSetup flow)
            throws Exception {
        List<NodeJvm> started = new ArrayList<>();
        try (HikariDataSource pool = BenchDatabase.pool(url, 1)) {
            for (int i = 0; i < nodes; i++) {
                started.add(NodeJvm.start(url, "node-" + i, concurrency, flow));
            }
            CpuMeter cpu = new CpuMeter(context.server().serverProcess(), started.stream().map(NodeJvm::handle).toList());
            boolean quick = context.quick();
            for (int round = 0; round < (quick ? 1 : WARM_UP_DRAINS); round++) { // --quick keeps to two minutes
                pausedDrain(url, pool, cpu, (quick ? 5_000 : 100_000) * nodes, quick, flow);
            }
            return pausedDrain(url, pool, cpu, jobs, quick, flow);
        } finally {
            started.forEach(NodeJvm::stop);
        }
    }

    /**
     * Enqueues {@code jobs} while the queue is paused, gives the nodes' JIT compilers time to finish their queue
     * and lifts the pause.
     */
    private static Drained pausedDrain(String url, HikariDataSource pool, CpuMeter cpu, int jobs, boolean quick,
                                       FlowSetup flow) throws Exception {
        BenchDatabase.pauseQueue(pool);
        // This drain's jobs are the ones with a higher id. (Telling them by a start after the pause was lifted
        // lost a claim of 100 once: a claim's now() is its transaction's start, which can come just before the
        // lift that its statement then sees.)
        long lastIdBefore = BenchDatabase.lastJobId(pool);
        BenchDatabase.enqueueNoops(url, jobs, flow);
        // --quick's figures only show that the drain runs: it does not wait long for compilers on a busy machine
        cpu.awaitNodesQuiet(Duration.ofSeconds(quick ? 5 : 30));
        CpuMeter.Reading before = cpu.read();
        BenchDatabase.resumeQueue(pool);
        BenchDatabase.awaitDrained(url, Duration.ofMinutes(quick ? 3 : 15));
        CpuMeter.Reading after = cpu.read();
        BenchDatabase.Completed completed = completedAsExpected(pool, lastIdBefore, jobs);
        return new Drained(jobs / completed.seconds(), after.perThousandJobs(before, jobs, "nodes"),
                after.resultKeys(before, jobs));
    }

    /** The jobs above {@code idAbove}, all {@code jobs} of them completed. */
    static BenchDatabase.Completed completedAsExpected(HikariDataSource pool, long idAbove, int jobs) throws Exception {
        BenchDatabase.Completed completed = BenchDatabase.completedAfter(pool, idAbove);
        if (completed.jobs() != jobs) {
            throw new IllegalStateException("expected " + jobs + " completed jobs, found " + completed.jobs());
        }
        return completed;
    }

    private Drains() {}
}
