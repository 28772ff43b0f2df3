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
 * {@value #BATCH}, while one node (concurrency 100) works; does the backlog grow? A search of probes (bisection
 * between none and {@value #SEARCH_TOP} times the warm one-node drain) finds the highest rate that does not, and
 * confirmations of {@code --steady-seconds} offer it (or {@code --steady-rate}, without a search): one that falls
 * behind steps down by a tenth and confirms again, at most {@value #CONFIRMATIONS} times, so that the rate reported
 * as sustained is one a run of {@code --steady-seconds} held.
 * What the producers managed to enqueue is reported beside what they offered: on two cores they compete with the
 * database and the node for the CPU, and a run whose producers fell behind counts as not sustained. Runs once
 * per kind of producer: {@code client} calls pgjobs, {@code sql} inserts rows the database generates (what a node
 * sustains when producing costs no more than the rows themselves). The node deletes completed jobs after
 * {@link #RETENTION}, so that the tables' sizes, printed at each confirmation's start and end, level off within it.
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
    /**
     * How long a probe offers its rate before its judged seconds: the node's retention, and then the longest its
     * retention chore may wait before a round (a minute, while it finds nothing: a fresh node's does until the first
     * jobs are a retention old), so that a probe is judged on what a long run has (the tables holding a retention
     * period's finished jobs, retention deleting them as they age, the vacuums of tables that size). Probes judged
     * from their first second ran on a table no retention had touched, and found rates that ten minutes did not
     * hold (docs/performance.md).
     */
    private static final Duration LEAD_IN = RETENTION.plusMinutes(1);
    /**
     * A confirmation stops once its backlog is this many seconds of the offered rate: a node that far behind has
     * not held the rate, and the next confirmation starts sooner.
     */
    private static final int GIVE_UP_SECONDS_BEHIND = 30;
    /** The rate a failed confirmation steps down to, as a fraction of its own. */
    private static final double STEP_DOWN = 0.9;
    /** The most confirmations after a search: its rate and up to three steps down (0.73 of it). */
    private static final int CONFIRMATIONS = 4;
    /** Longest wait for a run's backlog to be worked off before the next run. */
    private static final Duration BACKLOG_WAIT = Duration.ofMinutes(10);

    /** Adds {@code count} no-op jobs in one transaction. */
    private interface Producer {
        void enqueue(int count) throws SQLException;
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

    /** A confirmation and the tables' sizes at its start and end. */
    private record Confirmation(int number, SteadyRun run, Sizes before, Sizes after) {}

    @Override
    public void run(Context context) throws Exception {
        for (String producer : context.options().steadyProducers()) {
            run(context, producer);
        }
    }

    private void run(Context context, String producerName) throws Exception {
        BenchOptions options = context.options();
        double drain = context.report().oneNodeDrain();
        String url = context.server().fresh("steady_" + producerName);
        List<Confirmation> confirmations = new ArrayList<>();
        try (HikariDataSource pool = BenchDatabase.pool(url, PRODUCERS + 1)) {
            JobClient client = Scheduler.builder(pool).build().client();
            Producer producer = producerName.equals("sql") ? count -> insertGeneratedRows(pool, count)
                    : count -> client.enqueueAll(Noop.requests(count));
            NodeJvm node = NodeJvm.startRetaining(url, "steady-node", NodeJvm.DEFAULT_CONCURRENCY, RETENTION);
            try {
                boolean searched = options.steadyRate() == 0;
                double rate = searched ? search(context, producerName, pool, url, node, producer,
                        Double.isNaN(drain) ? RATE_WITHOUT_DRAIN : drain) : options.steadyRate();
                for (int number = 1; rate > 0 && number <= (searched ? CONFIRMATIONS : 1); number++) {
                    BenchDatabase.awaitDrained(url, BACKLOG_WAIT);
                    Sizes before = Sizes.read(pool);
                    SteadyRun run = offer(context, pool, node, producer, rate, 0, options.steadySeconds(), searched);
                    Confirmation confirmation = new Confirmation(number, run, before, Sizes.read(pool));
                    confirmations.add(confirmation);
                    System.out.println("steady state, producers " + producerName + ", confirmation " + number + ": "
                            + run.outcome(drain));
                    if (run.sustained()) {
                        break;
                    }
                    rate *= STEP_DOWN;
                }
            } finally {
                node.stop();
            }
        }
        context.server().drop(url);
        report(context, producerName, options.steadyRate() == 0, confirmations);
    }

    /**
     * A row and a {@code RESULT} line for each confirmation: {@code workload=steady_confirmation} for those that
     * stepped down, {@code workload=steady} for the last, the one that answers (sustained or not).
     */
    private static void report(Context context, String producerName, boolean searched,
                               List<Confirmation> confirmations) {
        Report report = context.report();
        double drain = report.oneNodeDrain();
        String label = "steady state, producers: " + producerName;
        if (confirmations.isEmpty()) {
            report.row(label, "no rate the search probed was sustained");
            report.result("steady", "producer=%s sustained=false", producerName);
            return;
        }
        for (Confirmation confirmation : confirmations) {
            SteadyRun run = confirmation.run();
            report.row(label + ", confirmation " + confirmation.number() + ", " + run.seconds() + " s at "
                            + Math.round(run.offered()) + " jobs/s offered",
                    String.format(Locale.ROOT, "%s; backlog last %d, max %d  cpu per 1,000 jobs produced: %s  "
                                    + "sizes at start: %s; at end: %s", run.outcome(drain), run.lastBacklog(),
                            run.maxBacklog(), run.cpuUse(), confirmation.before(), confirmation.after()));
            boolean last = confirmation == confirmations.getLast();
            report.result(last ? "steady" : "steady_confirmation", "producer=%s confirmation=%d seconds=%d "
                            + "offered_per_s=%.0f searched=%s ratio_of_drain=%s produced=%d produced_per_s=%.0f "
                            + "jobs_per_s=%.0f backlog_last=%d backlog_max=%d backlog_trend_per_s=%.1f "
                            + "unfinished_at_end=%d stopped_behind=%s sustained=%s ratio=%.2f jobs_bytes_start=%d "
                            + "jobs_bytes_end=%d job_indexes_bytes_start=%d job_indexes_bytes_end=%d "
                            + "attempts_bytes_start=%d attempts_bytes_end=%d",
                    producerName, confirmation.number(), run.seconds(), run.offered(), searched,
                    SteadyRun.ratio(run.offered(), drain), run.produced(), run.producedRate(), run.completedRate(),
                    run.lastBacklog(), run.maxBacklog(), run.trend(), run.unfinishedAtEnd(), run.stoppedBehind(),
                    run.sustained(), run.completedRate() / report.ceiling(), confirmation.before().jobs(),
                    confirmation.after().jobs(), confirmation.before().jobIndexes(), confirmation.after().jobIndexes(),
                    confirmation.before().attempts(), confirmation.after().attempts());
        }
    }

    /**
     * Bisects the rates between none and {@link #SEARCH_TOP} times {@code reference} with probes, each a lead-in of
     * {@link #LEAD_IN} and then {@code --steady-probe-seconds} judged; returns the highest rate sustained, 0 if
     * none was. Each probe starts once the one before it was worked off.
     */
    private double search(Context context, String producerName, DataSource pool, String url, NodeJvm node,
                          Producer producer, double reference) throws Exception {
        BenchOptions options = context.options();
        Report report = context.report();
        double drain = report.oneNodeDrain();
        int leadIn = (int) (context.quick() ? 0 : LEAD_IN.toSeconds());
        double sustained = 0, failed = reference * SEARCH_TOP;
        for (int probe = 1; probe <= options.steadyProbes(); probe++) {
            double rate = (sustained + failed) / 2;
            SteadyRun run = offer(context, pool, node, producer, rate, leadIn, options.steadyProbeSeconds(), false);
            System.out.println("steady search, producers " + producerName + ", probe " + probe + ": "
                    + run.outcome(drain));
            report.row("steady search, producers: " + producerName + ", probe " + probe + " (" + leadIn + " s lead-in, "
                    + run.seconds() + " s judged)", run.outcome(drain));
            report.result("steady_probe", "producer=%s probe=%d lead_in_seconds=%d seconds=%d offered_per_s=%.0f "
                            + "ratio_of_drain=%s produced_per_s=%.0f jobs_per_s=%.0f backlog_trend_per_s=%.1f "
                            + "unfinished_at_start=%d unfinished_at_end=%d sustained=%s",
                    producerName, probe, leadIn, run.seconds(), rate, SteadyRun.ratio(rate, drain), run.producedRate(),
                    run.completedRate(), run.trend(), run.unfinishedAtStart(), run.unfinishedAtEnd(), run.sustained());
            if (run.sustained()) {
                sustained = rate;
            } else {
                failed = rate;
            }
            BenchDatabase.awaitDrained(url, BACKLOG_WAIT);
        }
        return sustained;
    }

    /**
     * Offers {@code rate} jobs/s for {@code leadInSeconds} and then {@code seconds}; what the run reports (jobs
     * produced and completed, the backlog each second, the CPU) is of those last seconds alone. With
     * {@code stopWhenBehind}, the run stops early once its backlog is {@link #GIVE_UP_SECONDS_BEHIND} seconds of
     * the rate.
     */
    private static SteadyRun offer(Context context, DataSource pool, NodeJvm node, Producer producer, double rate,
                                   int leadInSeconds, int seconds, boolean stopWhenBehind) throws Exception {
        // where the two cores go: the server and the node, and this JVM (the producer)
        CpuMeter serverAndNode = new CpuMeter(context.server().serverProcess(), List.of(node.handle()));
        CpuMeter producerJvm = new CpuMeter(null, List.of(ProcessHandle.current()));
        AtomicLong enqueued = new AtomicLong();
        long start = System.nanoTime();
        long judgedFrom = start + TimeUnit.SECONDS.toNanos(leadInSeconds);
        AtomicLong end = new AtomicLong(judgedFrom + TimeUnit.SECONDS.toNanos(seconds));
        List<Thread> producers = new ArrayList<>();
        for (int i = 0; i < PRODUCERS; i++) {
            producers.add(Thread.ofPlatform().start(() -> produce(producer, rate / PRODUCERS, start, end, enqueued)));
        }
        TimeUnit.NANOSECONDS.sleep(Math.max(0, judgedFrom - System.nanoTime()));
        // the counter is read before the count, so every job unfinished then has its attempt counted after
        long attemptsAtStart = BenchDatabase.attemptsInserted(pool);
        long enqueuedAtStart = enqueued.get();
        long unfinishedAtStart = BenchDatabase.unfinished(pool);
        CpuMeter.Reading serverAndNodeBefore = serverAndNode.read();
        CpuMeter.Reading producerBefore = producerJvm.read();
        long windowStart = System.nanoTime();
        // The backlog is what was unfinished at the start, plus what was produced since, minus what was finished
        // since, the latter from the statistics system's counter (at most about a second late, which shifts the
        // samples but not their trend): counting the runnable jobs every second costs the database more the longer
        // the backlog is, and once it grows, that count alone took the node's share of the CPU.
        List<long[]> samples = new ArrayList<>(seconds); // {second, backlog}
        boolean stoppedBehind = false;
        for (int second = 1; second <= seconds && !stoppedBehind; second++) {
            long wakeAt = windowStart + TimeUnit.SECONDS.toNanos(second);
            TimeUnit.NANOSECONDS.sleep(Math.max(0, wakeAt - System.nanoTime()));
            long finished = BenchDatabase.attemptsInserted(pool) - attemptsAtStart;
            long backlog = Math.max(0, unfinishedAtStart + enqueued.get() - enqueuedAtStart - finished);
            samples.add(new long[] {second, backlog});
            if (stopWhenBehind && backlog > GIVE_UP_SECONDS_BEHIND * rate) {
                stoppedBehind = true;
                end.set(System.nanoTime());
            }
        }
        for (Thread thread : producers) {
            thread.join();
        }
        long unfinishedAtEnd = BenchDatabase.unfinished(pool);
        double elapsed = (System.nanoTime() - windowStart) / 1e9;
        // from the counter of attempt rows inserted: the rows go with their jobs once the retention has passed
        double completedRate = Math.max(0, BenchDatabase.attemptsInserted(pool) - attemptsAtStart) / elapsed;
        long produced = enqueued.get() - enqueuedAtStart;
        CpuMeter.Reading serverAndNodeAfter = serverAndNode.read();
        long producerNanos = producerJvm.read().nodesNanos() - producerBefore.nodesNanos();
        long allNanos = producerNanos + serverAndNodeAfter.nodesNanos() - serverAndNodeBefore.nodesNanos()
                + Math.max(0, serverAndNodeAfter.serverNanos() - serverAndNodeBefore.serverNanos());
        String cpuUse = String.format(Locale.ROOT, "%s, producer %.1f ms; %.2f cores busy",
                serverAndNodeAfter.perThousandJobs(serverAndNodeBefore, produced, "node"),
                producerNanos / 1e6 / Math.max(1, produced) * 1_000, allNanos / 1e9 / elapsed);
        return new SteadyRun(rate, samples.size(), produced, completedRate, samples, unfinishedAtStart,
                unfinishedAtEnd, stoppedBehind, cpuUse);
    }

    /**
     * The cheapest way there is to add jobs, for {@code --steady-producer sql}: one INSERT of rows the database
     * generates itself (nothing built, serialized or sent per job) and one notification, as pgjobs sends it: only
     * while no node promises to poll the queue on its own (V43's guard, docs/architecture.md "The wake-up"; without
     * it every batch's commit queued for the notification's lock, which pgjobs' own enqueues no longer do).
     */
    private static void insertGeneratedRows(DataSource pool, int count) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement statement = c.prepareStatement("""
                with added as (insert into pgjobs.jobs (kind, queue, args)
                               select 'bench.noop', 'default', '{"sentNanos": 0}' from generate_series(1, ?)
                               returning 1)
                select pg_notify('pgjobs_pgjobs', 'q:default') from (select count(*) from added) a
                where not exists (select 1 from pgjobs.busy_queues b
                                  where b.queue = 'default' and b.polls_until > clock_timestamp())""")) {
            statement.setInt(1, count);
            statement.execute();
        }
    }

    /** Enqueues batches at {@code perSecond} jobs/s, on a schedule from {@code start}, until {@code end} (which may move). */
    private static void produce(Producer producer, double perSecond, long start, AtomicLong end, AtomicLong enqueued) {
        double periodNanos = TimeUnit.SECONDS.toNanos(1) * BATCH / perSecond;
        long sent = 0;
        while (System.nanoTime() < end.get()) {
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
}
