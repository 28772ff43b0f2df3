package io.pgjobs.benchmark;

/**
 * One of the benchmark's workloads. Each runs on fresh databases of the run's server (dropped when it is done)
 * and adds its rows and {@code RESULT} lines to the report.
 */
interface Workload {
    /** What a workload runs with: the server, the command line, and the report with the figures so far. */
    record Context(BenchDatabase server, BenchOptions options, Report report) {
        boolean quick() {
            return options.quick();
        }
    }

    void run(Context context) throws Exception;
}
