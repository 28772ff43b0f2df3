package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobClient;
import io.pgjobs.Scheduler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * {@value #PRODUCERS} producer threads together offer 80% of the one-node drain rate (or {@code --steady-rate}),
 * in batches of {@value #BATCH}, while one node works; does the backlog grow? What they managed to enqueue is
 * reported beside what they offered: on two cores they compete with the database and the node for the CPU. With
 * {@code --steady-producer sql} they do not call pgjobs but insert rows the database generates: what a node
 * sustains when producing costs no more than the rows themselves.
 */
final class SteadyWorkload implements Workload {
    /** Threads that enqueue, as an application's request threads would. */
    private static final int PRODUCERS = 4;
    private static final int BATCH = 50;
    /** Offered without a one-node drain in the same run to take 80% of. */
    private static final double RATE_WITHOUT_DRAIN = 5_000;

    /** Adds {@code count} no-op jobs in one transaction. */
    private interface Producer {
        void enqueue(int count) throws SQLException;
    }

    @Override
    public void run(Context context) throws Exception {
        BenchOptions options = context.options();
        Report report = context.report();
        double target = options.steadyRate() > 0 ? options.steadyRate()
                : (Double.isNaN(report.oneNodeDrain()) ? RATE_WITHOUT_DRAIN : report.oneNodeDrain()) * 0.8;
        String url = context.server().fresh("steady");
        List<long[]> samples = new ArrayList<>(); // {second, backlog}
        long produced;
        double completedRate;
        String cpuUse;
        try (HikariDataSource pool = BenchDatabase.pool(url, PRODUCERS + 1)) {
            JobClient client = Scheduler.builder(pool).build().client();
            NodeJvm node = NodeJvm.start(url, "steady-node", NodeJvm.DEFAULT_CONCURRENCY);
            try {
                // where the two cores go: the server and the node, and this JVM (the producer)
                CpuMeter serverAndNode = new CpuMeter(context.server().serverProcess(), List.of(node.handle()));
                CpuMeter producerJvm = new CpuMeter(null, List.of(ProcessHandle.current()));
                CpuMeter.Reading serverAndNodeBefore = serverAndNode.read();
                CpuMeter.Reading producerBefore = producerJvm.read();
                AtomicLong enqueued = new AtomicLong();
                long start = System.nanoTime();
                long end = start + TimeUnit.SECONDS.toNanos(options.steadySeconds());
                List<Thread> producers = new ArrayList<>();
                Producer producer = options.steadySqlProducers() ? count -> insertGeneratedRows(pool, count)
                        : count -> client.enqueueAll(Noop.requests(count));
                for (int i = 0; i < PRODUCERS; i++) {
                    producers.add(Thread.ofPlatform().start(
                            () -> produce(producer, target / PRODUCERS, start, end, enqueued)));
                }
                long attemptsAtStart = BenchDatabase.attempts(pool);
                long attemptsInsertedAtStart = BenchDatabase.attemptsInserted(pool);
                // The backlog is what was produced minus what was finished, the latter from the statistics
                // system's counter (at most about a second late, which shifts the samples but not their trend):
                // counting the runnable jobs every second costs the database more the longer the backlog is,
                // and once it grows, that count alone took the node's share of the CPU.
                for (int second = 1; second <= options.steadySeconds(); second++) {
                    long wakeAt = start + TimeUnit.SECONDS.toNanos(second);
                    TimeUnit.NANOSECONDS.sleep(Math.max(0, wakeAt - System.nanoTime()));
                    long finished = BenchDatabase.attemptsInserted(pool) - attemptsInsertedAtStart;
                    samples.add(new long[] {second, Math.max(0, enqueued.get() - finished)});
                }
                for (Thread thread : producers) {
                    thread.join();
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                completedRate = (BenchDatabase.attempts(pool) - attemptsAtStart) / elapsed;
                produced = enqueued.get();
                CpuMeter.Reading serverAndNodeAfter = serverAndNode.read();
                long producerNanos = producerJvm.read().nodesNanos() - producerBefore.nodesNanos();
                long allNanos = producerNanos + serverAndNodeAfter.nodesNanos() - serverAndNodeBefore.nodesNanos()
                        + Math.max(0, serverAndNodeAfter.serverNanos() - serverAndNodeBefore.serverNanos());
                cpuUse = String.format(Locale.ROOT, "%s, producer %.1f ms; %.2f cores busy",
                        serverAndNodeAfter.perThousandJobs(serverAndNodeBefore, produced, "node"),
                        producerNanos / 1e6 / produced * 1_000, allNanos / 1e9 / elapsed);
            } finally {
                node.stop();
            }
        }
        context.server().drop(url);
        double slope = slope(samples.subList(samples.size() / 2, samples.size()));
        long maxBacklog = samples.stream().mapToLong(s -> s[1]).max().orElse(0);
        long lastBacklog = samples.getLast()[1];
        boolean growing = slope > target * 0.01;
        String producerName = options.steadySqlProducers() ? "sql" : "client";
        report.row("steady state, " + options.steadySeconds() + " s at " + Math.round(target) + " jobs/s offered"
                        + (options.steadySqlProducers() ? " (producers: plain SQL)" : ""),
                String.format(Locale.ROOT, "%s produced, %s completed; backlog last %d, max %d, trend %+.1f jobs/s -> %s"
                                + "  cpu per 1,000 jobs produced: %s",
                        Report.jobsPerS((double) produced / options.steadySeconds()), Report.jobsPerS(completedRate),
                        lastBacklog, maxBacklog, slope, growing ? "GROWING" : "stable", cpuUse));
        report.result("steady", "producer=%s seconds=%d offered_per_s=%.0f produced=%d produced_per_s=%.0f jobs_per_s=%.0f "
                        + "backlog_last=%d backlog_max=%d backlog_trend_per_s=%.1f growing=%s ratio=%.2f",
                producerName, options.steadySeconds(), target, produced, (double) produced / options.steadySeconds(),
                completedRate, lastBacklog, maxBacklog, slope, growing, completedRate / report.ceiling());
    }

    /**
     * The cheapest way there is to add jobs, for {@code --steady-producer sql}: one INSERT of rows the database
     * generates itself (nothing built, serialized or sent per job) and one notification, as pgjobs sends.
     */
    private static void insertGeneratedRows(DataSource pool, int count) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement statement = c.prepareStatement("""
                with added as (insert into pgjobs.jobs (kind, queue, args)
                               select 'bench.noop', 'default', '{"sentNanos": 0}' from generate_series(1, ?)
                               returning 1)
                select pg_notify('pgjobs_pgjobs', 'q:default') from (select count(*) from added) a""")) {
            statement.setInt(1, count);
            statement.execute();
        }
    }

    /** Enqueues batches at {@code perSecond} jobs/s, on a schedule from {@code start}, until {@code end}. */
    private static void produce(Producer producer, double perSecond, long start, long end, AtomicLong enqueued) {
        double periodNanos = TimeUnit.SECONDS.toNanos(1) * BATCH / perSecond;
        long sent = 0;
        while (System.nanoTime() < end) {
            long due = start + (long) (sent * periodNanos);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
                continue;
            }
            try {
                producer.enqueue(BATCH);
            } catch (SQLException e) {
                throw new IllegalStateException("a producer could not enqueue", e);
            }
            sent++;
            enqueued.addAndGet(BATCH);
        }
    }

    /** Least-squares slope of backlog over time, in jobs per second. */
    private static double slope(List<long[]> samples) {
        double n = samples.size(), sx = 0, sy = 0, sxy = 0, sxx = 0;
        for (long[] s : samples) {
            sx += s[0];
            sy += s[1];
            sxy += (double) s[0] * s[1];
            sxx += (double) s[0] * s[0];
        }
        double denominator = n * sxx - sx * sx;
        return denominator == 0 ? 0 : (n * sxy - sx * sy) / denominator;
    }
}
