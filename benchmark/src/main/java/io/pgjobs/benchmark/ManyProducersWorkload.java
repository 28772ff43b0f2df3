package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobClient;
import io.pgjobs.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Many threads enqueueing one job per transaction at once, as a web application's request threads do, into a
 * queue whose node (another JVM) runs them as they come: the enqueues' commits are what is measured. Each
 * notifying commit holds the server's notification lock until its WAL is flushed (docs/performance.md, "What
 * held the producers back"), so this is where skipping the notification shows.
 */
final class ManyProducersWorkload implements Workload {
    private static final int THREADS = 16;

    @Override
    public void run(Context context) throws Exception {
        int seconds = context.quick() ? 5 : 30;
        String url = context.server().fresh("producers");
        long enqueued;
        try (HikariDataSource pool = BenchDatabase.pool(url, THREADS)) {
            JobClient client = Scheduler.builder(pool).build().client();
            NodeJvm node = NodeJvm.start(url, "producers-node", NodeJvm.DEFAULT_CONCURRENCY);
            ExecutorService producers = Executors.newFixedThreadPool(THREADS);
            try {
                for (int i = 0; i < 500; i++) { // warm-up, not measured
                    client.enqueue(new Noop(0));
                }
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                List<Future<Long>> counts = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    counts.add(producers.submit(() -> {
                        long n = 0;
                        while (System.nanoTime() - end < 0) {
                            client.enqueue(new Noop(0));
                            n++;
                        }
                        return n;
                    }));
                }
                enqueued = 0;
                for (Future<Long> count : counts) {
                    enqueued += count.get();
                }
                BenchDatabase.awaitDrained(url, Duration.ofSeconds(120));
            } finally {
                producers.shutdownNow();
                node.stop();
            }
        }
        context.server().drop(url);
        double rate = enqueued / (double) seconds;
        context.report().row("enqueue, one transaction each (" + THREADS + " threads, a node running them)",
                String.format(Locale.ROOT, "%.0f jobs/s", rate));
        context.report().result("enqueue_threads", "threads=%d jobs_per_s=%.0f", THREADS, rate);
    }
}
