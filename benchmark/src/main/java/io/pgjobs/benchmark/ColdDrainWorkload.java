package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The cold drain: what a deploy, a scale-out or a burst after an idle night looks like. 20,000 no-op jobs are
 * enqueued first, then a fresh node JVM (no warm-up) starts and works them off; jobs/s from the first job's
 * start to the last one's finish, by the database's timestamps. At concurrency 16 and 100, each the median of
 * three runs on fresh databases ({@code --quick}: one run).
 *
 * <p>With the cold floor ({@code cold_floor}), each run of the node is followed by one of {@link FloorWorker}, the
 * smallest honest worker in plain JDBC, in a fresh JVM too, on the same jobs: what a JVM at default options can do
 * in its first seconds on this machine. The runs alternate so that both see the same load, and the node's drain
 * is printed as a fraction of the floor's.
 *
 * <p>Both JVMs start with the JVM's defaults, or with {@code --cold-jvm-options} (an AOT cache, a compiler
 * setting: docs/production.md, "A shorter warm-up"); the benchmark's own JVM, and with it the ceiling, keeps its
 * options.
 */
final class ColdDrainWorkload implements Workload {
    private static final int JOBS = 20_000;
    private static final int[] CONCURRENCIES = {16, 100};

    /** Starts the worker JVM of a run on the database at {@code url}, returning once it is ready. */
    private interface Launcher {
        NodeJvm start(String url) throws Exception;
    }

    /**
     * One run: its rate, how long after the worker JVM was launched its first job started (JVM and scheduler
     * start-up) and its last job finished (so that work moved from the drain to the start-up shows), and the CPU
     * spent: from the worker's launch (its start-up included), and from the moment it said it was ready (about
     * when its first job starts), which is what the drain itself cost. The server's CPU from the launch holds the
     * start-up of every connection the worker's pool opens; read alone, it overstates what a job costs.
     */
    private record ColdRun(double jobsPerS, double launchToFirstStartMs, double launchToLastFinishMs, String cpu,
                           String cpuKeys) {}

    private final boolean withFloor;

    ColdDrainWorkload(boolean withFloor) {
        this.withFloor = withFloor;
    }

    @Override
    public void run(Context context) throws Exception {
        int runs = context.quick() ? 1 : 3;
        List<String> jvmOptions = context.options().coldJvmOptions();
        Report report = context.report();
        for (int concurrency : CONCURRENCIES) {
            List<ColdRun> node = new ArrayList<>();
            List<ColdRun> floor = new ArrayList<>();
            for (int run = 0; run < runs; run++) {
                node.add(coldDrain(context, "cold_drain_" + concurrency,
                        url -> NodeJvm.start(url, "cold-node", concurrency, jvmOptions)));
                if (withFloor) {
                    floor.add(coldDrain(context, "cold_floor_" + concurrency,
                            url -> NodeJvm.startFloor(url, concurrency, jvmOptions)));
                }
            }
            ColdRun nodeMedian = median(node);
            report.row("cold drain " + JOBS + " jobs, 1 fresh node JVM, concurrency " + concurrency + medianOf(runs),
                    Report.jobsPerS(nodeMedian.jobsPerS()) + report.ofCeiling(nodeMedian.jobsPerS())
                            + details(node, nodeMedian));
            report.result("cold_drain", "nodes=1 concurrency=%d jobs=%d runs=%d jobs_per_s=%.0f "
                            + "ceiling_jobs_per_s=%.0f ratio=%.2f launch_to_first_start_ms=%.0f launch_to_last_finish_ms=%.0f %s",
                    concurrency, JOBS, runs, nodeMedian.jobsPerS(), report.ceiling(),
                    nodeMedian.jobsPerS() / report.ceiling(), nodeMedian.launchToFirstStartMs(),
                    nodeMedian.launchToLastFinishMs(), nodeMedian.cpuKeys());
            if (withFloor) {
                ColdRun floorMedian = median(floor);
                double nodeOfFloor = nodeMedian.jobsPerS() / floorMedian.jobsPerS();
                report.row("cold floor " + JOBS + " jobs, 1 fresh plain-JDBC worker JVM, concurrency " + concurrency
                                + medianOf(runs),
                        Report.jobsPerS(floorMedian.jobsPerS()) + report.ofCeiling(floorMedian.jobsPerS())
                                + String.format(Locale.ROOT, "  pgjobs' cold drain: %.2f of it", nodeOfFloor)
                                + details(floor, floorMedian));
                report.result("cold_floor", "nodes=1 concurrency=%d jobs=%d runs=%d jobs_per_s=%.0f "
                                + "ceiling_jobs_per_s=%.0f ratio=%.2f cold_drain_jobs_per_s=%.0f cold_drain_of_floor=%.2f "
                                + "launch_to_first_start_ms=%.0f launch_to_last_finish_ms=%.0f %s",
                        concurrency, JOBS, runs, floorMedian.jobsPerS(), report.ceiling(),
                        floorMedian.jobsPerS() / report.ceiling(), nodeMedian.jobsPerS(), nodeOfFloor,
                        floorMedian.launchToFirstStartMs(), floorMedian.launchToLastFinishMs(), floorMedian.cpuKeys());
            }
        }
    }

    private static ColdRun median(List<ColdRun> runs) {
        List<ColdRun> sorted = runs.stream().sorted(Comparator.comparingDouble(ColdRun::jobsPerS)).toList();
        return sorted.get(sorted.size() / 2);
    }

    private static String medianOf(int runs) {
        return runs > 1 ? " (median of " + runs + ")" : "";
    }

    /** Every run's rate (in the order they ran), and the median run's start-up and CPU. */
    private static String details(List<ColdRun> runs, ColdRun median) {
        String all = runs.stream().map(r -> String.format(Locale.ROOT, "%,.0f", r.jobsPerS()))
                .collect(Collectors.joining(", "));
        return (runs.size() > 1 ? "  runs: " + all : "")
                + String.format(Locale.ROOT, "  first job started %.0f ms after launch, last finished %.0f ms",
                        median.launchToFirstStartMs(), median.launchToLastFinishMs())
                + "  cpu per 1,000 jobs: " + median.cpu();
    }

    private static ColdRun coldDrain(Context context, String database, Launcher launcher) throws Exception {
        String url = context.server().fresh(database);
        BenchDatabase.enqueueNoops(url, JOBS);
        ColdRun run;
        try (HikariDataSource pool = BenchDatabase.pool(url, 1)) {
            ProcessHandle server = context.server().serverProcess();
            // no worker yet: its CPU counts from zero at its launch, its JIT compiler's included
            CpuMeter.Reading before = new CpuMeter(server, List.of()).read();
            double launchedAt = BenchDatabase.databaseClock(pool);
            NodeJvm worker = launcher.start(url);
            try {
                CpuMeter meter = new CpuMeter(server, List.of(worker.handle()));
                CpuMeter.Reading ready = meter.read();
                BenchDatabase.awaitDrained(url, Duration.ofMinutes(5));
                CpuMeter.Reading after = meter.read();
                BenchDatabase.Completed completed = Drains.completedAsExpected(pool, 0, JOBS);
                run = new ColdRun(JOBS / completed.seconds(), (completed.firstStart() - launchedAt) * 1_000,
                        (completed.lastFinish() - launchedAt) * 1_000,
                        after.perThousandJobs(before, JOBS, "worker JVM (from launch)") + "; from ready: "
                                + after.perThousandJobs(ready, JOBS, "worker JVM"),
                        after.resultKeys(before, JOBS) + " " + after.resultKeys(ready, JOBS, "_from_ready"));
            } finally {
                worker.stop();
            }
        }
        context.server().drop(url);
        return run;
    }
}
