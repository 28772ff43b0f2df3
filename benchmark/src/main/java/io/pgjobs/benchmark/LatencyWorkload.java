package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobClient;
import io.pgjobs.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * 50 jobs/s enqueued one at a time (a transaction each) to an idle node in another JVM: enqueue call to handler
 * start (System.nanoTime is one monotonic clock for every process on Linux).
 */
final class LatencyWorkload implements Workload {
    private static final int JOBS_PER_SECOND = 50;

    @Override
    public void run(Context context) throws Exception {
        int seconds = context.quick() ? 6 : 60;
        String url = context.server().fresh("latency");
        List<Long> latencies;
        List<Long> enqueueCalls = new ArrayList<>();
        try (HikariDataSource pool = BenchDatabase.pool(url, 2)) {
            JobClient client = Scheduler.builder(pool).build().client();
            NodeJvm node = NodeJvm.start(url, "latency-node", NodeJvm.DEFAULT_CONCURRENCY);
            try {
                for (int i = 0; i < 50; i++) { // warm-up, not measured
                    client.enqueue(new Noop(0));
                }
                BenchDatabase.awaitDrained(url, Duration.ofSeconds(30));
                int count = seconds * JOBS_PER_SECOND;
                long periodNanos = TimeUnit.SECONDS.toNanos(1) / JOBS_PER_SECOND;
                long next = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    // parked, not spinning: a producer busy-waiting took one of the machine's cores from the node
                    // and the server whose latency it measures
                    for (long wait = next - System.nanoTime(); wait > 0; wait = next - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    long sent = System.nanoTime();
                    client.enqueue(new Noop(sent));
                    enqueueCalls.add(System.nanoTime() - sent);
                    next += periodNanos;
                }
                latencies = node.awaitStarts(count, Duration.ofSeconds(30));
            } finally {
                node.stop();
            }
        }
        context.server().drop(url);
        latencies.sort(null);
        enqueueCalls.sort(null);
        double p50 = millis(percentile(latencies, 50)), p95 = millis(percentile(latencies, 95)),
                p99 = millis(percentile(latencies, 99)), max = millis(latencies.getLast());
        // the enqueue call alone (its durable commit included), the part of the latency the node has no say in
        double enqueueP50 = millis(percentile(enqueueCalls, 50)), enqueueP99 = millis(percentile(enqueueCalls, 99));
        context.report().row("latency, " + JOBS_PER_SECOND + " jobs/s to an idle node (other JVM), enqueue included",
                String.format(Locale.ROOT, "p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms  (the enqueue call: "
                        + "p50 %.2f ms  p99 %.2f ms)", p50, p95, p99, max, enqueueP50, enqueueP99));
        context.report().result("latency", "jobs=%d p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f "
                + "enqueue_p50_ms=%.2f enqueue_p99_ms=%.2f", latencies.size(), p50, p95, p99, max, enqueueP50, enqueueP99);
    }

    private static long percentile(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }
}
