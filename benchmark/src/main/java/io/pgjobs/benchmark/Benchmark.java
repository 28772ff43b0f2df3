package io.pgjobs.benchmark;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * pgjobs' benchmark: every workload on a fresh database, beside two references measured in the same run against
 * the same server (the plain-SQL ceiling and the machine's commit rate), so the ratios are what to read. Durable
 * settings unless {@code --non-durable}. Prints the environment, a table, and one {@code RESULT} line per figure.
 *
 * <pre>
 * ./mvnw -q -pl benchmark -am compile exec:exec -Dbench.args=--quick
 * ./mvnw -q -pl benchmark -am compile exec:exec -Dbench.args="--jdbc-url jdbc:postgresql://127.0.0.1/postgres?user=postgres&amp;password=..."
 * </pre>
 * The options are in {@link BenchOptions#USAGE} and docs/performance.md.
 */
public final class Benchmark {
    /** Exit status of a bad command line, as for other command-line tools. */
    private static final int USAGE_ERROR = 2;

    public static void main(String[] args) throws Exception {
        try {
            run(BenchOptions.parse(args));
        } catch (BenchOptions.Invalid e) {
            System.err.print(BenchOptions.USAGE);
            System.err.println("error: " + e.getMessage());
            System.exit(USAGE_ERROR);
        }
    }

    private static void run(BenchOptions options) throws Exception {
        try (BenchDatabase server = BenchDatabase.start(options)) {
            Workload.Context context = new Workload.Context(server, options, new Report());
            printEnvironment(options, server);
            // the references come first, whatever --only says: every other figure is read against them
            timed("ceiling", new CeilingWorkload(), context);
            timed("commit_rate", new CommitRateWorkload(), context);
            for (String workload : options.workloads()) {
                switch (workload) {
                    case "ceiling" -> { } // ran above
                    case "drain" -> timed(workload, new DrainWorkload(), context);
                    case "flow_drain" -> timed(workload, new FlowDrainWorkload(), context);
                    case "workflow" -> timed(workload, new WorkflowWorkload(), context);
                    case "cold_drain" -> timed(workload,
                            new ColdDrainWorkload(options.workloads().contains("cold_floor")), context);
                    case "cold_floor" -> { } // ran with cold_drain, alternating with its runs
                    case "enqueue" -> timed(workload, new EnqueueWorkload(), context);
                    case "enqueue_threads" -> timed(workload, new ManyProducersWorkload(), context);
                    case "latency" -> timed(workload, new LatencyWorkload(), context);
                    case "growth" -> timed(workload, new GrowthWorkload(), context);
                    case "steady" -> timed(workload, new SteadyWorkload(), context);
                    default -> throw new IllegalStateException("no workload named " + workload);
                }
            }
            context.report().print();
        }
    }

    /** Runs a workload and says how long it took, so that a slow run shows where its minutes went. */
    private static void timed(String name, Workload workload, Workload.Context context) throws Exception {
        long start = System.nanoTime();
        workload.run(context);
        System.out.printf(Locale.ROOT, "%s done in %.0f s%n", name, (System.nanoTime() - start) / 1e9);
    }

    private static void printEnvironment(BenchOptions options, BenchDatabase server) throws Exception {
        var os = ManagementFactory.getOperatingSystemMXBean();
        long memory = ((com.sun.management.OperatingSystemMXBean) os).getTotalMemorySize();
        System.out.println("pgjobs benchmark" + (options.quick() ? " (--quick)" : ""));
        System.out.printf(Locale.ROOT, "machine: %d cores, %.1f GiB, %s %s; java %s%n", os.getAvailableProcessors(),
                memory / (1024.0 * 1024 * 1024), os.getName(), os.getVersion(), System.getProperty("java.version"));
        server.describe().forEach((k, v) -> System.out.println(k + ": " + v));
        System.out.println();
    }

    private Benchmark() {}
}
