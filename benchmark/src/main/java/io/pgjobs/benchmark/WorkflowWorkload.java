package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.Workflow;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Workflows drained by one warm node (concurrency 100, in a JVM of its own, warmed up as the warm drains are):
 * a fan-out/fan-in of 10,000 steps (a root, 10,000 steps after it, one step after all of them), and 1,000 chains
 * of 10 steps, each a workflow of its own. Each is read against a plain drain of as many no-op jobs by the same
 * node, measured the same way just before: jobs/s (first start to last finish, by the database's timestamps)
 * and the ratio, and the PostgreSQL server's CPU per 1,000 jobs, whose difference is what the dependency
 * bookkeeping (the pending inserts, the edges, the release trigger) costs the database per 1,000 steps.
 */
final class WorkflowWorkload implements Workload {
    private static final int FAN_WIDTH = 10_000;
    private static final int CHAINS = 1_000;
    private static final int CHAIN_LENGTH = 10;

    /** What a measured drain enqueues while the queue is paused; returns how many jobs. */
    private interface Enqueue {
        int into(JobClient client);
    }

    /** A measured drain: its rate, and the server's CPU milliseconds per 1,000 jobs (NaN when unknown). */
    private record Measured(double jobsPerS, double pgCpuMsPer1k, String cpuKeys) {}

    @Override
    public void run(Context context) throws Exception {
        boolean quick = context.quick();
        int width = quick ? FAN_WIDTH / 5 : FAN_WIDTH;
        int chains = quick ? CHAINS / 5 : CHAINS;
        String url = context.server().fresh("workflow");
        NodeJvm node = NodeJvm.start(url, "node-0", NodeJvm.DEFAULT_CONCURRENCY);
        try (HikariDataSource pool = BenchDatabase.pool(url, 4);
             Scheduler producer = Scheduler.builder(pool).build()) {
            CpuMeter cpu = new CpuMeter(context.server().serverProcess(), List.of(node.handle()));
            for (int round = 0; round < (quick ? 1 : 3); round++) {
                Drains.pausedDrain(url, pool, cpu, quick ? 5_000 : 100_000, quick, FlowSetup.NONE);
            }
            JobClient client = producer.client();
            Measured plain = measure(pool, cpu, client, c -> {
                Noop.enqueue(c, width + 2, 5_000);
                return width + 2;
            }, quick);
            Measured fan = measure(pool, cpu, client, c -> {
                c.workflows().enqueue(fanOutFanIn(width));
                return width + 2;
            }, quick);
            Measured chain = measure(pool, cpu, client, c -> {
                for (int i = 0; i < chains; i++) {
                    c.workflows().enqueue(chain("chain-" + i));
                }
                return chains * CHAIN_LENGTH;
            }, quick);
            report(context, "plain drain of " + (width + 2) + " no-op jobs (the reference)", "workflow_plain",
                    width + 2, plain, plain);
            report(context, "workflow fan-out/fan-in of " + width + " steps", "workflow_fan_in", width + 2, fan, plain);
            report(context, "workflows: " + chains + " chains of " + CHAIN_LENGTH + " steps", "workflow_chains",
                    chains * CHAIN_LENGTH, chain, plain);
        } finally {
            node.stop();
            context.server().drop(url);
        }
    }

    private static Workflow fanOutFanIn(int width) {
        Workflow.Builder builder = Workflow.builder("fan-" + width).step("root", JobRequest.of(new Noop(0)));
        String[] middle = new String[width];
        for (int i = 0; i < width; i++) {
            middle[i] = "m" + i;
            builder.step(middle[i], JobRequest.of(new Noop(0)), "root");
        }
        return builder.step("gather", JobRequest.of(new Noop(0)), middle).build();
    }

    private static Workflow chain(String name) {
        Workflow.Builder builder = Workflow.builder(name).step("s0", JobRequest.of(new Noop(0)));
        for (int i = 1; i < CHAIN_LENGTH; i++) {
            builder.step("s" + i, JobRequest.of(new Noop(0)), "s" + (i - 1));
        }
        return builder.build();
    }

    /**
     * Enqueues while the queue is paused, waits for the node's compiler to settle, lifts the pause and waits until
     * every job enqueued has completed (pending steps included, which the drains' wait does not count).
     */
    private static Measured measure(HikariDataSource pool, CpuMeter cpu, JobClient client, Enqueue enqueue,
                                    boolean quick) throws Exception {
        BenchDatabase.pauseQueue(pool);
        long lastIdBefore = BenchDatabase.lastJobId(pool);
        int jobs = enqueue.into(client);
        BenchDatabase.execute(pool, "vacuum analyze pgjobs.jobs");
        cpu.awaitNodesQuiet(Duration.ofSeconds(quick ? 5 : 30));
        long attemptsBefore = BenchDatabase.attemptsInserted(pool);
        CpuMeter.Reading before = cpu.read();
        BenchDatabase.resumeQueue(pool);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(quick ? 5 : 15);
        // the statistics counter first (cheap, at most about a second late), then one exact count to confirm
        while (BenchDatabase.attemptsInserted(pool) - attemptsBefore < jobs
                || BenchDatabase.queryLong(pool, "select count(*) from pgjobs.jobs where id > " + lastIdBefore
                        + " and state not in ('completed', 'discarded', 'cancelled')") > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(jobs + " jobs not done within the deadline");
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        CpuMeter.Reading after = cpu.read();
        BenchDatabase.Completed completed = Drains.completedAsExpected(pool, lastIdBefore, jobs);
        return new Measured(jobs / completed.seconds(), after.serverMsPerThousand(before, jobs),
                after.resultKeys(before, jobs));
    }

    private static void report(Context context, String what, String workload, int jobs, Measured measured,
                               Measured plain) {
        Report report = context.report();
        double ratio = measured.jobsPerS() / plain.jobsPerS();
        double bookkeeping = measured.pgCpuMsPer1k() - plain.pgCpuMsPer1k();
        report.row(what, Report.jobsPerS(measured.jobsPerS())
                + String.format(Locale.ROOT, "  (%.2f of the plain drain)", ratio) + report.ofCeiling(measured.jobsPerS())
                + (workload.equals("workflow_plain") ? "" : String.format(Locale.ROOT,
                        "  postgres cpu for the dependencies: %+.1f ms per 1,000 steps", bookkeeping)));
        report.result(workload, "nodes=1 concurrency=%d jobs=%d jobs_per_s=%.0f plain_jobs_per_s=%.0f ratio_to_plain=%.2f"
                        + " bookkeeping_pg_cpu_ms_per_1k=%.1f %s", NodeJvm.DEFAULT_CONCURRENCY, jobs,
                measured.jobsPerS(), plain.jobsPerS(), ratio, bookkeeping, measured.cpuKeys());
    }
}
