package io.pgjobs.benchmark;

import java.util.Locale;

/**
 * Warm one-node drains (concurrency 100, as the unlimited {@code drain}) of a queue under flow control: a
 * cluster-wide limit of 100, then 1,000 partitions of limit 1 (the jobs' partition keys round robin), each read
 * as a fraction of this run's unlimited one-node drain, which must have run before (issue 19 asks for at least
 * 0.5). The limit equals the node's concurrency, so it costs its counting and its per-queue lock without holding
 * the node back: the figure is what the flow-controlled claim costs.
 */
final class FlowDrainWorkload implements Workload {
    @Override
    public void run(Context context) throws Exception {
        if (Double.isNaN(context.report().oneNodeDrain())) {
            throw new IllegalStateException("flow_drain is read against the one-node drain: run it with drain");
        }
        int jobs = context.options().drainJobs();
        drain(context, jobs, FlowSetup.queueLimit(100), "drain_queue_limit_100",
                "a cluster-wide limit of 100");
        drain(context, jobs, FlowSetup.partitions(1_000, 1), "drain_1000_partitions_limit_1",
                "1,000 partitions of limit 1");
    }

    private static void drain(Context context, int jobs, FlowSetup flow, String workload, String what) throws Exception {
        String url = context.server().fresh(workload);
        Drains.Drained drained = Drains.warm(context, url, 1, NodeJvm.DEFAULT_CONCURRENCY, jobs, flow);
        context.server().drop(url);
        Report report = context.report();
        double ofDrain = drained.jobsPerS() / report.oneNodeDrain();
        report.row("drain " + jobs + " jobs, 1 node, concurrency " + NodeJvm.DEFAULT_CONCURRENCY + ", warm, " + what,
                Report.jobsPerS(drained.jobsPerS()) + String.format(Locale.ROOT,
                        "  (%.2f of the unlimited drain)", ofDrain) + "  cpu per 1,000 jobs: " + drained.cpu());
        report.result(workload, "nodes=1 concurrency=%d jobs=%d jobs_per_s=%.0f drain_jobs_per_s=%.0f "
                        + "ratio_of_drain=%.2f %s", NodeJvm.DEFAULT_CONCURRENCY, jobs, drained.jobsPerS(),
                report.oneNodeDrain(), ofDrain, drained.cpuKeys());
    }
}
