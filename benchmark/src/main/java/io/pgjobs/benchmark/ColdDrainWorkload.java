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
 */
final class ColdDrainWorkload implements Workload {
    private static final int JOBS = 20_000;
    private static final int[] CONCURRENCIES = {16, 100};

    /**
     * One run: its rate, how long after the node JVM was launched its first job started (JVM and scheduler
     * start-up), and the CPU spent, the node's counted from its launch.
     */
    private record ColdRun(double jobsPerS, double launchToFirstStartMs, String cpu, String cpuKeys) {}

    @Override
    public void run(Context context) throws Exception {
        int runs = context.quick() ? 1 : 3;
        Report report = context.report();
        for (int concurrency : CONCURRENCIES) {
            List<ColdRun> done = new ArrayList<>();
            for (int run = 0; run < runs; run++) {
                done.add(coldDrain(context, concurrency));
            }
            done.sort(Comparator.comparingDouble(ColdRun::jobsPerS));
            ColdRun median = done.get(done.size() / 2);
            String all = done.stream().map(r -> String.format(Locale.ROOT, "%,.0f", r.jobsPerS()))
                    .collect(Collectors.joining(", "));
            report.row("cold drain " + JOBS + " jobs, 1 fresh node JVM, concurrency " + concurrency
                            + (runs > 1 ? " (median of " + runs + ")" : ""),
                    Report.jobsPerS(median.jobsPerS()) + report.ofCeiling(median.jobsPerS())
                            + (runs > 1 ? "  runs: " + all : "")
                            + String.format(Locale.ROOT, "  first job %.0f ms after launch", median.launchToFirstStartMs())
                            + "  cpu per 1,000 jobs: " + median.cpu());
            report.result("cold_drain", "nodes=1 concurrency=%d jobs=%d runs=%d jobs_per_s=%.0f ceiling_jobs_per_s=%.0f "
                            + "ratio=%.2f launch_to_first_start_ms=%.0f %s",
                    concurrency, JOBS, runs, median.jobsPerS(), report.ceiling(), median.jobsPerS() / report.ceiling(),
                    median.launchToFirstStartMs(), median.cpuKeys());
        }
    }

    private static ColdRun coldDrain(Context context, int concurrency) throws Exception {
        String url = context.server().fresh("cold_drain_" + concurrency);
        BenchDatabase.enqueueNoops(url, JOBS);
        ColdRun run;
        try (HikariDataSource pool = BenchDatabase.pool(url, 1)) {
            ProcessHandle server = context.server().serverProcess();
            // no node yet: its CPU counts from zero at its launch, its JIT compiler's included
            CpuMeter.Reading before = new CpuMeter(server, List.of()).read();
            double launchedAt = BenchDatabase.databaseClock(pool);
            NodeJvm node = NodeJvm.start(url, "cold-node", concurrency);
            try {
                BenchDatabase.awaitDrained(url, Duration.ofMinutes(5));
                CpuMeter.Reading after = new CpuMeter(server, List.of(node.handle())).read();
                BenchDatabase.Completed completed = Drains.completedAsExpected(pool, 0, JOBS);
                run = new ColdRun(JOBS / completed.seconds(), (completed.firstStart() - launchedAt) * 1_000,
                        after.perThousandJobs(before, JOBS, "node (from launch)"), after.resultKeys(before, JOBS));
            } finally {
                node.stop();
            }
        }
        context.server().drop(url);
        return run;
    }
}
