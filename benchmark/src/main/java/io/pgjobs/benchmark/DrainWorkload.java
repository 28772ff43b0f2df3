package io.pgjobs.benchmark;

/**
 * Warm drains ({@link Drains#warm}): one node at concurrency 100 and at 16, then each node count of
 * {@code --drain-nodes} above one at concurrency 100, each node in a JVM of its own.
 */
final class DrainWorkload implements Workload {
    private static final int WIDE = NodeJvm.DEFAULT_CONCURRENCY;
    /** What users commonly configure for a queue. */
    private static final int NARROW = 16;

    @Override
    public void run(Context context) throws Exception {
        int jobs = context.options().drainJobs();
        if (context.options().drainNodes().contains(1)) {
            context.report().oneNodeDrain(drain(context, 1, WIDE, jobs, "drain"));
        }
        drain(context, 1, NARROW, jobs, "drain_concurrency_" + NARROW);
        for (int nodes : context.options().drainNodes()) {
            if (nodes > 1) {
                drain(context, nodes, WIDE, jobs, "drain_" + nodes + "_nodes");
            }
        }
    }

    private static double drain(Context context, int nodes, int concurrency, int jobs, String workload) throws Exception {
        String url = context.server().fresh(workload);
        Drains.Drained drained = Drains.warm(context, url, nodes, concurrency, jobs);
        context.server().drop(url);
        Report report = context.report();
        report.row("drain " + jobs + " jobs, " + nodes + (nodes > 1 ? " nodes (separate JVMs)" : " node")
                        + ", concurrency " + concurrency + ", warm",
                Report.jobsPerS(drained.jobsPerS()) + report.ofCeiling(drained.jobsPerS())
                        + "  cpu per 1,000 jobs: " + drained.cpu());
        report.result(workload, "nodes=%d concurrency=%d jobs=%d jobs_per_s=%.0f ceiling_jobs_per_s=%.0f ratio=%.2f %s",
                nodes, concurrency, jobs, drained.jobsPerS(), report.ceiling(), drained.jobsPerS() / report.ceiling(),
                drained.cpuKeys());
        return drained.jobsPerS();
    }
}
