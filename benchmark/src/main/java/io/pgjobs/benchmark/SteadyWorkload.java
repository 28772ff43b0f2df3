package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobClient;
import io.pgjobs.Scheduler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * The highest rate one node sustains: {@value #PRODUCERS} producer threads together offer a rate, in batches of
 * {@value #BATCH}, while one node (concurrency 100) works; does the backlog grow? A search of short probes
 * (bisection between none and {@value #SEARCH_TOP} times the warm one-node drain) finds the highest rate that does
 * not, and a confirmation run of {@code --steady-seconds} offers it (or {@code --steady-rate}, without a search).
 * What the producers managed to enqueue is reported beside what they offered: on two cores they compete with the
 * database and the node for the CPU, and a probe whose producers fell behind counts as not sustained. Runs once
 * per kind of producer: {@code client} calls pgjobs, {@code sql} inserts rows the database generates (what a node
 * sustains when producing costs no more than the rows themselves). The node deletes completed jobs after
 * {@link #RETENTION}, so that the tables' sizes, printed at the confirmation's start and end, level off within it.
 */
final class SteadyWorkload implements Workload {
    /** Threads that enqueue, as an application's request threads would. */
    private static final int PRODUCERS = 4;
    private static final int BATCH = 50;
    /** The rate the search is sized by when no one-node drain ran before it. */
    private static final double RATE_WITHOUT_DRAIN = 5_000;
    /** The top of the search's range, as a fraction of the one-node drain. */
    private static final double SEARCH_TOP = 1.25;
    /** How long the steady node keeps completed jobs. */
    private static final Duration RETENTION = Duration.ofSeconds(60);
    /** Longest wait for a probe's backlog to be worked off before the next probe. */
    private static final Duration BACKLOG_WAIT = Duration.ofMinutes(10);

    /** Adds {@code count} no-op jobs in one transaction. */
    private interface Producer {
        void enqueue(int count) throws SQLException;
    }

    /**
     * One run at an offered rate: what was produced and completed, the backlog each second ({second, jobs}, from
     * the statistics system's counters), the jobs left unfinished when the producers stopped (counted exactly), and
     * where the CPU went.
     */
    private record Run(double offered, int seconds, long produced, double completedRate, List<long[]> samples,
                       long unfinishedAtEnd, String cpuUse) {
        /** Least-squares slope of the backlog over the run's second half, in jobs per second. */
        double trend() {
            return slope(samples.subList(samples.size() / 2, samples.size()));
        }

        /**
         * Whether the producers kept within 5% of the offered rate and the node within a second of them: at the
         * end at most a second's worth of the offered jobs (at least 1,000: the jobs a node holds running and
         * claimed ahead, and the batches just enqueued) was left unfinished. A node that falls behind by a
         * fraction f of the rate leaves f times the run's length unfinished, so a probe of 20 s tells 5% apart,
         * and the confirmation of 600 s a sixth of a percent.
         */
        boolean sustained() {
            return produced >= offered * seconds * 0.95 && unfinishedAtEnd <= Math.max(1_000, offered);
        }

        long lastBacklog() {
            return samples.getLast()[1];
        }

        long maxBacklog() {
            return samples.stream().mapToLong(s -> s[1]).max().orElse(0);
        }
    }

    /** Sizes in bytes: the jobs table (heap), its indexes, and the attempts table with its indexes. */
    private record Sizes(long jobs, long jobIndexes, long attempts) {
        static Sizes read(DataSource pool) throws SQLException {
            try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select pg_relation_size('pgjobs.jobs'), pg_indexes_size('pgjobs.jobs'), "
                         + "pg_total_relation_size('pgjobs.attempts')")) {
                rs.next();
                return new Sizes(rs.getLong(1), rs.getLong(2), rs.getLong(3));
            }
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "jobs %.1f MB + indexes %.1f MB, attempts %.1f MB", jobs / 1e6,
                    jobIndexes / 1e6, attempts / 1e6);
        }
    }

    @Override
    public void run(Context context) throws Exception {
        for (String producer : context.options().steadyProducers()) {
            run(context, producer);
        }
    }

    private void run(Context context, String producerName) throws Exception {
        BenchOptions options = context.options();
        Report report = context.report();
        double drain = report.oneNodeDrain();
        String url = context.server().fresh("steady_" + producerName);
        double rate;
        Run confirmation;
        Sizes before, after;
        try (HikariDataSource pool = BenchDatabase.pool(url, PRODUCERS + 1)) {
            JobClient client = Scheduler.builder(pool).build().client();
            Producer producer = producerName.equals("sql") ? count -> insertGeneratedRows(pool, count)
                    : count -> client.enqueueAll(Noop.requests(count));
            NodeJvm node = NodeJvm.startRetaining(url, "steady-node", NodeJvm.DEFAULT_CONCURRENCY, RETENTION);
            try {
                rate = options.steadyRate() > 0 ? options.steadyRate()
                        : search(context, producerName, pool, url, node, producer,
                                Double.isNaN(drain) ? RATE_WITHOUT_DRAIN : drain);
                before = Sizes.read(pool);
                confirmation = rate > 0 ? offer(context, pool, node, producer, rate, options.steadySeconds()) : null;
                after = Sizes.read(pool);
            } finally {
                node.stop();
            }
        }
        context.server().drop(url);
        String label = "steady state, producers: " + producerName;
        if (confirmation == null) {
            report.row(label, "no rate the search probed was sustained");
            report.result("steady", "producer=%s sustained=false", producerName);
            return;
        }
        Run run = confirmation;
        report.row(label + ", " + run.seconds() + " s at " + Math.round(rate) + " jobs/s offered",
                String.format(Locale.ROOT, "%s of the drain; %s produced, %s completed; backlog last %d, max %d, "
                                + "trend %+.1f jobs/s, %d unfinished at the end -> %s  cpu per 1,000 jobs produced: %s  "
                                + "sizes at start: %s; at end: %s",
                        ratio(rate, drain), Report.jobsPerS((double) run.produced() / run.seconds()),
                        Report.jobsPerS(run.completedRate()), run.lastBacklog(), run.maxBacklog(), run.trend(),
                        run.unfinishedAtEnd(), run.sustained() ? "sustained" : "NOT SUSTAINED", run.cpuUse(), before,
                        after));
        report.result("steady", "producer=%s seconds=%d offered_per_s=%.0f searched=%s ratio_of_drain=%s produced=%d "
                        + "produced_per_s=%.0f jobs_per_s=%.0f backlog_last=%d backlog_max=%d backlog_trend_per_s=%.1f "
                        + "unfinished_at_end=%d sustained=%s ratio=%.2f jobs_bytes_start=%d jobs_bytes_end=%d job_indexes_bytes_start=%d "
                        + "job_indexes_bytes_end=%d attempts_bytes_start=%d attempts_bytes_end=%d",
                producerName, run.seconds(), rate, options.steadyRate() == 0, ratio(rate, drain), run.produced(),
                (double) run.produced() / run.seconds(), run.completedRate(), run.lastBacklog(), run.maxBacklog(),
                run.trend(), run.unfinishedAtEnd(), run.sustained(), run.completedRate() / report.ceiling(),
                before.jobs(), after.jobs(),
                before.jobIndexes(), after.jobIndexes(), before.attempts(), after.attempts());
    }

    /**
     * Bisects the rates between none and {@link #SEARCH_TOP} times {@code reference} with probes of
     * {@code --steady-probe-seconds}, after a warm-up probe at half the reference (the node's JIT compiler would
     * otherwise hold the first probe back); returns the highest rate sustained, 0 if none was. Each probe starts
     * once the one before it was worked off.
     */
    private double search(Context context, String producerName, DataSource pool, String url, NodeJvm node,
                          Producer producer, double reference) throws Exception {
        BenchOptions options = context.options();
        Report report = context.report();
        offer(context, pool, node, producer, reference / 2, options.steadyProbeSeconds());
        BenchDatabase.awaitDrained(url, BACKLOG_WAIT);
        double sustained = 0, failed = reference * SEARCH_TOP;
        for (int probe = 1; probe <= options.steadyProbes(); probe++) {
            double rate = (sustained + failed) / 2;
            Run run = offer(context, pool, node, producer, rate, options.steadyProbeSeconds());
            String outcome = String.format(Locale.ROOT, "%s (%s of the drain): %s produced, %s completed, backlog "
                            + "trend %+.1f jobs/s, %d unfinished at the end -> %s", Report.jobsPerS(rate),
                    ratio(rate, report.oneNodeDrain()), Report.jobsPerS((double) run.produced() / run.seconds()),
                    Report.jobsPerS(run.completedRate()), run.trend(), run.unfinishedAtEnd(),
                    run.sustained() ? "sustained" : "not sustained");
            System.out.println("steady search, producers " + producerName + ", probe " + probe + ": " + outcome);
            report.row("steady search, producers: " + producerName + ", probe " + probe + " (" + run.seconds() + " s)",
                    outcome);
            report.result("steady_probe", "producer=%s probe=%d seconds=%d offered_per_s=%.0f ratio_of_drain=%s "
                            + "produced_per_s=%.0f jobs_per_s=%.0f backlog_trend_per_s=%.1f unfinished_at_end=%d sustained=%s",
                    producerName, probe, run.seconds(), rate, ratio(rate, report.oneNodeDrain()),
                    (double) run.produced() / run.seconds(), run.completedRate(), run.trend(), run.unfinishedAtEnd(),
                    run.sustained());
            if (run.sustained()) {
                sustained = rate;
            } else {
                failed = rate;
            }
            BenchDatabase.awaitDrained(url, BACKLOG_WAIT);
        }
        return sustained;
    }

    /** {@code rate} over the one-node drain, or "n/a" when no drain ran in this run. */
    private static String ratio(double rate, double drain) {
        return Double.isNaN(drain) ? "n/a" : String.format(Locale.ROOT, "%.2f", rate / drain);
    }

    /** Offers {@code rate} jobs/s for {@code seconds}, sampling the backlog every second. */
    private static Run offer(Context context, DataSource pool, NodeJvm node, Producer producer, double rate,
                             int seconds) throws Exception {
        List<long[]> samples = new ArrayList<>(seconds); // {second, backlog}
        // where the two cores go: the server and the node, and this JVM (the producer)
        CpuMeter serverAndNode = new CpuMeter(context.server().serverProcess(), List.of(node.handle()));
        CpuMeter producerJvm = new CpuMeter(null, List.of(ProcessHandle.current()));
        CpuMeter.Reading serverAndNodeBefore = serverAndNode.read();
        CpuMeter.Reading producerBefore = producerJvm.read();
        AtomicLong enqueued = new AtomicLong();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> producers = new ArrayList<>();
        for (int i = 0; i < PRODUCERS; i++) {
            producers.add(Thread.ofPlatform().start(() -> produce(producer, rate / PRODUCERS, start, end, enqueued)));
        }
        long attemptsInsertedAtStart = BenchDatabase.attemptsInserted(pool);
        // The backlog is what was produced minus what was finished, the latter from the statistics system's
        // counter (at most about a second late, which shifts the samples but not their trend): counting the
        // runnable jobs every second costs the database more the longer the backlog is, and once it grows, that
        // count alone took the node's share of the CPU.
        for (int second = 1; second <= seconds; second++) {
            long wakeAt = start + TimeUnit.SECONDS.toNanos(second);
            TimeUnit.NANOSECONDS.sleep(Math.max(0, wakeAt - System.nanoTime()));
            long finished = BenchDatabase.attemptsInserted(pool) - attemptsInsertedAtStart;
            samples.add(new long[] {second, Math.max(0, enqueued.get() - finished)});
        }
        for (Thread thread : producers) {
            thread.join();
        }
        long unfinishedAtEnd = BenchDatabase.unfinished(pool);
        double elapsed = (System.nanoTime() - start) / 1e9;
        // from the counter of attempt rows inserted: the rows go with their jobs once the retention has passed
        double completedRate = Math.max(0, BenchDatabase.attemptsInserted(pool) - attemptsInsertedAtStart) / elapsed;
        long produced = enqueued.get();
        CpuMeter.Reading serverAndNodeAfter = serverAndNode.read();
        long producerNanos = producerJvm.read().nodesNanos() - producerBefore.nodesNanos();
        long allNanos = producerNanos + serverAndNodeAfter.nodesNanos() - serverAndNodeBefore.nodesNanos()
                + Math.max(0, serverAndNodeAfter.serverNanos() - serverAndNodeBefore.serverNanos());
        String cpuUse = String.format(Locale.ROOT, "%s, producer %.1f ms; %.2f cores busy",
                serverAndNodeAfter.perThousandJobs(serverAndNodeBefore, produced, "node"),
                producerNanos / 1e6 / Math.max(1, produced) * 1_000, allNanos / 1e9 / elapsed);
        return new Run(rate, seconds, produced, completedRate, samples, unfinishedAtEnd, cpuUse);
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
