package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import java.util.Locale;

/** The warm one-node drain again, with finished jobs and their attempts already in the table. */
final class GrowthWorkload implements Workload {
    @Override
    public void run(Context context) throws Exception {
        int finished = context.quick() ? 200_000 : 2_000_000;
        int jobs = context.options().drainJobs();
        String url = context.server().fresh("growth");
        try (HikariDataSource pool = BenchDatabase.pool(url, 1)) {
            BenchDatabase.insertFinishedJobs(pool, finished);
        }
        Drains.Drained drained = Drains.warm(context, url, 1, NodeJvm.DEFAULT_CONCURRENCY, jobs);
        context.server().drop(url);
        double rate = drained.jobsPerS();
        Report report = context.report();
        double vsEmpty = rate / report.oneNodeDrain();
        report.row("drain " + jobs + " jobs, 1 node, " + finished + " finished jobs in the table",
                Report.jobsPerS(rate) + report.ofCeiling(rate)
                        + String.format(Locale.ROOT, "  (%.2f of the empty-table drain)", vsEmpty)
                        + "  cpu per 1,000 jobs: " + drained.cpu());
        report.result("growth", "finished_rows=%d jobs_per_s=%.0f ceiling_jobs_per_s=%.0f ratio=%.2f vs_empty=%.2f %s",
                finished, rate, report.ceiling(), rate / report.ceiling(), vsEmpty, drained.cpuKeys());
    }
}
