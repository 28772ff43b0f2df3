package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * pgjobs' benchmark: every workload on a fresh database, beside the plain-SQL ceiling measured in the same run
 * against the same server, so the ratios are what to read. Prints a table and one {@code RESULT} line per
 * workload.
 *
 * <pre>
 * ./mvnw -q -pl benchmark -am compile exec:exec -Dbench.args=--quick
 * ./mvnw -q -pl benchmark -am compile exec:exec -Dbench.args="--jdbc-url jdbc:postgresql://127.0.0.1/postgres?user=postgres&amp;password=..."
 * </pre>
 * Options: {@code --quick} (every workload small, about two minutes in all), {@code --jdbc-url URL} (an
 * administrative database on another server; default: an embedded PostgreSQL), {@code --only a,b} (workloads:
 * ceiling, drain, enqueue, latency, growth, steady), {@code --steady-seconds N}, {@code --steady-rate N} (jobs/s
 * offered instead of 80% of the drain), {@code --steady-producer client|sql} (producers that call pgjobs, the
 * default, or that insert rows generated in the database), {@code --drain-jobs N}, {@code --drain-nodes 1,2,4}.
 */
public final class Benchmark {
    private static final int BATCH = 100;
    /** Threads that enqueue in the steady state, as an application's request threads would. */
    private static final int PRODUCERS = 4;

    private final BenchDatabase server;
    private final Options options;
    private final boolean quick;
    private final List<String> results = new ArrayList<>();
    private final Map<String, String> table = new LinkedHashMap<>();
    private double ceiling = Double.NaN;
    private double drainOneNode = Double.NaN;
    private String ceilingCpu;

    /** The command line. {@code drainJobs} also sizes the growth workload's drain. */
    record Options(boolean quick, String jdbcUrl, List<String> only, int steadySeconds, int steadyRate,
                   boolean steadySqlProducers, int drainJobs, int[] drainNodes) {
        static Options parse(String[] args) {
            boolean quick = false;
            String jdbcUrl = null;
            List<String> only = List.of("ceiling", "drain", "enqueue", "latency", "growth", "steady");
            Integer steadySeconds = null;
            int steadyRate = 0;
            boolean steadySqlProducers = false;
            Integer drainJobs = null;
            int[] drainNodes = {1, 2, 4};
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> quick = true;
                    case "--jdbc-url" -> jdbcUrl = args[++i];
                    case "--only" -> only = Arrays.asList(args[++i].split(","));
                    case "--steady-seconds" -> steadySeconds = Integer.parseInt(args[++i]);
                    case "--steady-rate" -> steadyRate = Integer.parseInt(args[++i]);
                    case "--steady-producer" -> steadySqlProducers = switch (args[++i]) {
                        case "client" -> false;
                        case "sql" -> true;
                        default -> throw new IllegalArgumentException("--steady-producer is client or sql, not " + args[i]);
                    };
                    case "--drain-jobs" -> drainJobs = Integer.parseInt(args[++i]);
                    case "--drain-nodes" -> drainNodes = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + " (known: --quick, "
                            + "--jdbc-url URL, --only a,b, --steady-seconds N, --steady-rate N, --steady-producer client|sql, "
                            + "--drain-jobs N, --drain-nodes 1,2,4)");
                }
            }
            return new Options(quick, jdbcUrl, only,
                    steadySeconds != null ? steadySeconds : quick ? 15 : 120, steadyRate, steadySqlProducers,
                    drainJobs != null ? drainJobs : quick ? 20_000 : 100_000, drainNodes);
        }
    }

    private Benchmark(BenchDatabase server, Options options) {
        this.server = server;
        this.options = options;
        this.quick = options.quick();
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        try (BenchDatabase server = BenchDatabase.start(options.jdbcUrl())) {
            Benchmark benchmark = new Benchmark(server, options);
            benchmark.printEnvironment();
            // the ceiling comes first: every other figure is printed as a ratio of it
            benchmark.ceiling();
            List<String> only = options.only();
            if (only.contains("drain")) benchmark.drains();
            if (only.contains("enqueue")) benchmark.enqueue();
            if (only.contains("latency")) benchmark.latency();
            if (only.contains("growth")) benchmark.growth();
            if (only.contains("steady")) benchmark.steady();
            benchmark.printResults();
        }
    }

    // ---- workloads ---------------------------------------------------------------------------------------------

    /** The plain-SQL lifecycle at batch 100 (insert, claim with SKIP LOCKED, delete), two connections. */
    private void ceiling() throws Exception {
        int seconds = quick ? 5 : 20;
        String url = server.fresh("ceiling");
        try (HikariDataSource pool = BenchDatabase.pool(url, 2)) {
            AtomicLong jobs = new AtomicLong();
            CpuMeter cpu = new CpuMeter(server.serverProcess(), List.of(ProcessHandle.current()));
            CpuMeter.Reading before = cpu.read();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 2; c++) {
                clients.add(Thread.ofPlatform().start(() -> runCeilingClient(pool, deadline, jobs)));
            }
            long start = System.nanoTime();
            for (Thread client : clients) {
                client.join();
            }
            ceiling = jobs.get() / seconds(System.nanoTime() - start);
            ceilingCpu = cpu.read().perThousandJobs(before, jobs.get(), "benchmark JVM");
        }
        server.drop(url);
        table.put("ceiling (plain SQL, batch 100, 2 connections)", jobsPerS(ceiling) + "  cpu per 1,000 jobs: " + ceilingCpu);
        results.add(String.format(Locale.ROOT, "RESULT workload=ceiling jobs_per_s=%.0f batch=%d", ceiling, BATCH));
    }

    private static void runCeilingClient(HikariDataSource pool, long deadline, AtomicLong jobs) {
        try (Connection c = pool.getConnection();
             PreparedStatement insert = c.prepareStatement(
                     "insert into ceiling_jobs(payload) select jsonb_build_object('n', g) from generate_series(1," + BATCH + ") g");
             PreparedStatement claim = c.prepareStatement("""
                     with c as (update ceiling_jobs set state = 1, attempt = attempt + 1, locked_by = 'w', locked_at = now()
                       where id in (select id from ceiling_jobs where state = 0 and queue = 'default' and run_at <= now()
                                    order by priority, run_at, id limit %d for update skip locked) returning id)
                     select coalesce(array_agg(id), '{}') from c""".formatted(BATCH));
             PreparedStatement delete = c.prepareStatement("delete from ceiling_jobs where id = any(?)")) {
            while (System.nanoTime() < deadline) {
                insert.executeUpdate();
                Array ids;
                try (ResultSet rs = claim.executeQuery()) {
                    rs.next();
                    ids = rs.getArray(1);
                }
                delete.setArray(1, ids);
                jobs.addAndGet(delete.executeUpdate());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the ceiling workload failed", e);
        }
    }

    private void drains() throws Exception {
        int jobs = options.drainJobs();
        for (int nodes : options.drainNodes()) {
            String url = server.fresh("drain" + nodes);
            Drained drained = drain(url, nodes, jobs);
            server.drop(url);
            if (nodes == 1) {
                drainOneNode = drained.jobsPerS();
            }
            String workload = nodes == 1 ? "drain" : "drain_" + nodes + "_nodes";
            table.put("drain " + jobs + " jobs, " + nodes + " node" + (nodes > 1 ? "s (separate JVMs)" : ""),
                    jobsPerS(drained.jobsPerS()) + ratio(drained.jobsPerS()) + "  cpu per 1,000 jobs: " + drained.cpu());
            results.add(String.format(Locale.ROOT, "RESULT workload=%s nodes=%d jobs=%d jobs_per_s=%.0f ceiling_jobs_per_s=%.0f ratio=%.2f %s",
                    workload, nodes, jobs, drained.jobsPerS(), ceiling, drained.jobsPerS() / ceiling, drained.cpuKeys()));
        }
    }

    /** A drain's rate and where its CPU went ({@link CpuMeter.Reading#perThousandJobs} and its RESULT keys). */
    private record Drained(double jobsPerS, String cpu, String cpuKeys) {}

    /**
     * Warm-up drains before the measured one. After one, a node's JIT compiler still took 5.7 to 15 ms of CPU per
     * 1,000 jobs in the measured drain (more than pgjobs' own work in the node), and twice that with two nodes on
     * the two cores; after three, 0.3 to 4.3 with one node (under 2 in five runs of seven) and 1.1 to 5.6 with two:
     * closer to a node that has been running for a while, which is what the figures are meant to describe.
     */
    private static final int WARM_UP_DRAINS = 3;

    /**
     * Starts {@code nodes} node JVMs and lets them warm up on drains of jobs of their own, done just as the
     * measured one (a drain of a few seconds would otherwise measure the JIT compiler as much as pgjobs, and the
     * more so the more JVMs share the work); then the measured drain of {@code jobs}.
     */
    private Drained drain(String url, int nodes, int jobs) throws Exception {
        List<Node> started = new ArrayList<>();
        try (HikariDataSource pool = BenchDatabase.pool(url, 1)) {
            for (int i = 0; i < nodes; i++) {
                started.add(Node.start(url, "node-" + i));
            }
            CpuMeter cpu = new CpuMeter(server.serverProcess(), started.stream().map(Node::handle).toList());
            for (int round = 0; round < (quick ? 1 : WARM_UP_DRAINS); round++) { // --quick keeps to two minutes
                pausedDrain(url, pool, cpu, (quick ? 5_000 : 100_000) * nodes);
            }
            return pausedDrain(url, pool, cpu, jobs);
        } finally {
            started.forEach(Node::stop);
        }
    }

    /**
     * Enqueues {@code jobs} while the queue is paused, gives the nodes' JIT compilers time to finish their queue
     * and lifts the pause: jobs/s from the database's own timestamps, first start to last finish of those jobs.
     */
    private Drained pausedDrain(String url, HikariDataSource pool, CpuMeter cpu, int jobs) throws Exception {
        execute(pool, "insert into pgjobs.queues (name, paused) values ('default', true) "
                + "on conflict (name) do update set paused = true");
        // This drain's jobs are the ones with a higher id. (Telling them by a start after the pause was lifted
        // lost a claim of 100 once: a claim's now() is its transaction's start, which can come just before the
        // lift that its statement then sees.)
        long lastIdBefore = queryLong(pool, "select coalesce(max(id), 0) from pgjobs.jobs");
        enqueueNoops(url, jobs);
        cpu.awaitNodesQuiet(Duration.ofSeconds(30));
        CpuMeter.Reading before = cpu.read();
        execute(pool, "update pgjobs.queues set paused = false where name = 'default'");
        awaitDrained(url, Duration.ofMinutes(quick ? 3 : 15));
        CpuMeter.Reading after = cpu.read();
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("select count(*), extract(epoch from max(finished_at) - "
                     + "min(started_at)) from pgjobs.jobs where state = 'completed' and id > ?")) {
            ps.setLong(1, lastIdBefore);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) != jobs) {
                    throw new IllegalStateException("expected " + jobs + " completed jobs, found " + rs.getLong(1));
                }
                return new Drained(jobs / rs.getDouble(2), after.perThousandJobs(before, jobs, "nodes"),
                        after.resultKeys(before, jobs));
            }
        }
    }

    private void enqueue() throws Exception {
        int single = quick ? 3_000 : 10_000;
        int batched = quick ? 50_000 : 200_000;
        String url = server.fresh("enqueue");
        try (HikariDataSource pool = BenchDatabase.pool(url, 4)) {
            JobClient client = Scheduler.builder(pool).build().client();
            // The plain INSERT, with and without a pg_notify, goes the way an application's INSERT goes: a
            // connection from the same pool for each, autocommit, so that all three run on the same server
            // process. On a connection held apart, the same plain INSERT ran up to 29% faster than through the
            // pool in the same run (in three runs of five; as fast in the others). Rounds of 500 in shuffled
            // order, so that whatever changes during the run (the table's size, a checkpoint, an autovacuum, the
            // JIT compiler) weighs on all alike: measured one after the other, the plain INSERTs ran at 13,209/s
            // after 3,500 enqueues and at 7,080/s after 10,500.
            String plain = "insert into pgjobs.jobs (kind, queue, args) values (?, ?, ?::jsonb)";
            String notifying = "insert into pgjobs.jobs (kind, queue, args) values (?, ?, ?::jsonb) "
                    + "returning pg_notify('pgjobs_pgjobs', 'q:' || queue) is null";
            List<Callable<?>> singles = List.of(
                    () -> client.enqueue(new Noop(0)),
                    () -> insertNoopRow(pool, plain),
                    () -> insertNoopRow(pool, notifying));
            for (int i = 0; i < 500; i++) { // warm up the JIT and the prepared statements
                for (Callable<?> call : singles) {
                    call.call();
                }
            }
            List<Integer> rounds = new ArrayList<>();
            for (int round = 0; round < single / 500; round++) {
                rounds.addAll(List.of(0, 1, 2));
            }
            Collections.shuffle(rounds, new Random(7));
            long[] nanos = new long[singles.size()];
            for (int which : rounds) {
                long start = System.nanoTime();
                for (int i = 0; i < 500; i++) {
                    singles.get(which).call();
                }
                nanos[which] += System.nanoTime() - start;
            }
            double singleRate = single / seconds(nanos[0]);
            double plainRate = single / seconds(nanos[1]);
            double notifyingRate = single / seconds(nanos[2]);

            // The batch path warms up too: cold, the first 100,000 jobs went in at 71,635/s, the next at
            // 116,704-128,588/s (PG 15, batches of 1,000).
            enqueueNoops(client, quick ? 10_000 : 30_000, 1_000);
            long start = System.nanoTime();
            enqueueNoops(client, batched, 1_000);
            double batchRate = batched / seconds(System.nanoTime() - start);

            table.put("enqueue, one transaction each (1 thread)", jobsPerS(singleRate)
                    + String.format(Locale.ROOT, "  (plain INSERT: %.0f/s, ratio %.2f; INSERT with pg_notify: %.0f/s, ratio %.2f)",
                    plainRate, singleRate / plainRate, notifyingRate, singleRate / notifyingRate));
            table.put("enqueue, batches of 1,000 (1 thread)", jobsPerS(batchRate) + ratio(batchRate));
            results.add(String.format(Locale.ROOT, "RESULT workload=enqueue_single jobs_per_s=%.0f plain_insert_per_s=%.0f ratio=%.2f "
                    + "notifying_insert_per_s=%.0f", singleRate, plainRate, singleRate / plainRate, notifyingRate));
            results.add(String.format(Locale.ROOT, "RESULT workload=enqueue_batch jobs_per_s=%.0f ceiling_jobs_per_s=%.0f ratio=%.2f",
                    batchRate, ceiling, batchRate / ceiling));
        }
        server.drop(url);
    }

    private static boolean insertNoopRow(DataSource pool, String insert) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement statement = c.prepareStatement(insert)) {
            statement.setString(1, "bench.noop");
            statement.setString(2, "default");
            statement.setString(3, "{\"sentNanos\": 0}");
            return statement.execute();
        }
    }

    /** 50 jobs/s enqueued one at a time (own transaction each) to an idle node in another JVM. */
    private void latency() throws Exception {
        int seconds = quick ? 6 : 60;
        String url = server.fresh("latency");
        List<Long> latencies;
        try (HikariDataSource pool = BenchDatabase.pool(url, 2)) {
            JobClient client = Scheduler.builder(pool).build().client();
            Node node = Node.start(url, "latency-node");
            try {
                for (int i = 0; i < 50; i++) { // warm-up, not measured
                    client.enqueue(new Noop(0));
                }
                awaitDrained(url, Duration.ofSeconds(30));
                int count = seconds * 50;
                long periodNanos = TimeUnit.SECONDS.toNanos(1) / 50;
                long next = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    while (System.nanoTime() < next) {
                        Thread.onSpinWait();
                    }
                    client.enqueue(new Noop(System.nanoTime()));
                    next += periodNanos;
                }
                latencies = node.awaitStarts(count, Duration.ofSeconds(30));
            } finally {
                node.stop();
            }
        }
        server.drop(url);
        latencies.sort(null);
        double p50 = millis(percentile(latencies, 50)), p95 = millis(percentile(latencies, 95)),
                p99 = millis(percentile(latencies, 99)), max = millis(latencies.getLast());
        table.put("latency, 50 jobs/s to an idle node (other JVM), enqueue included",
                String.format(Locale.ROOT, "p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms", p50, p95, p99, max));
        results.add(String.format(Locale.ROOT, "RESULT workload=latency jobs=%d p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f",
                latencies.size(), p50, p95, p99, max));
    }

    /** The one-node drain again, with finished jobs and their attempts already in the table. */
    private void growth() throws Exception {
        int finished = quick ? 200_000 : 2_000_000;
        int jobs = options.drainJobs();
        String url = server.fresh("growth");
        try (HikariDataSource pool = BenchDatabase.pool(url, 1); Connection c = pool.getConnection();
             Statement s = c.createStatement()) {
            s.execute("""
                    insert into pgjobs.jobs (kind, queue, state, args, attempt, created_at, started_at, finished_at)
                    select 'bench.noop', 'default', 'completed', '{"sentNanos": 0}', 1, now() - interval '1 hour',
                           now() - interval '1 hour', now() - interval '1 hour'
                    from generate_series(1, %d)""".formatted(finished));
            s.execute("""
                    insert into pgjobs.attempts (job_id, attempt, node_id, started_at, finished_at, outcome)
                    select id, 1, 'old-node', started_at, finished_at, 'completed' from pgjobs.jobs""");
            s.execute("vacuum analyze pgjobs.jobs");
            s.execute("vacuum analyze pgjobs.attempts");
        }
        Drained drained = drain(url, 1, jobs);
        double rate = drained.jobsPerS();
        server.drop(url);
        double vsEmpty = rate / drainOneNode;
        table.put("drain " + jobs + " jobs, 1 node, " + finished + " finished jobs in the table",
                jobsPerS(rate) + ratio(rate) + String.format(Locale.ROOT, "  (%.2f of the empty-table drain)", vsEmpty)
                        + "  cpu per 1,000 jobs: " + drained.cpu());
        results.add(String.format(Locale.ROOT, "RESULT workload=growth finished_rows=%d jobs_per_s=%.0f ceiling_jobs_per_s=%.0f ratio=%.2f vs_empty=%.2f %s",
                finished, rate, ceiling, rate / ceiling, vsEmpty, drained.cpuKeys()));
    }

    /**
     * {@value #PRODUCERS} producer threads together offer 80% of the one-node drain rate, in batches of 50, while
     * one node works; does the backlog grow? What they managed to enqueue is reported beside what they offered:
     * on two cores they compete with the database and the node for the CPU. With {@code --steady-producer sql}
     * they do not call pgjobs but insert rows the database generates: what a node sustains when producing costs
     * no more than the rows themselves.
     */
    private void steady() throws Exception {
        double target = options.steadyRate() > 0 ? options.steadyRate()
                : (Double.isNaN(drainOneNode) ? 5_000 : drainOneNode) * 0.8;
        String url = server.fresh("steady");
        List<long[]> samples = new ArrayList<>(); // {second, backlog}
        long produced;
        double completedRate;
        String cpuUse;
        try (HikariDataSource pool = BenchDatabase.pool(url, PRODUCERS + 1)) {
            JobClient client = Scheduler.builder(pool).build().client();
            Node node = Node.start(url, "steady-node");
            try {
                // where the two cores go: the server and the node, and this JVM (the producer)
                CpuMeter serverAndNode = new CpuMeter(server.serverProcess(), List.of(node.handle()));
                CpuMeter producerJvm = new CpuMeter(null, List.of(ProcessHandle.current()));
                CpuMeter.Reading serverAndNodeBefore = serverAndNode.read();
                CpuMeter.Reading producerBefore = producerJvm.read();
                AtomicLong enqueued = new AtomicLong();
                long start = System.nanoTime();
                long end = start + TimeUnit.SECONDS.toNanos(options.steadySeconds());
                List<Thread> producers = new ArrayList<>();
                Producer enqueue = options.steadySqlProducers() ? count -> insertGeneratedRows(pool, count)
                        : count -> {
                            List<JobRequest> requests = new ArrayList<>(count);
                            for (int i = 0; i < count; i++) {
                                requests.add(JobRequest.of(new Noop(0)));
                            }
                            client.enqueueAll(requests);
                        };
                for (int i = 0; i < PRODUCERS; i++) {
                    producers.add(Thread.ofPlatform().start(
                            () -> produce(enqueue, target / PRODUCERS, start, end, enqueued)));
                }
                long completedAtStart = completed(pool);
                long attemptsAtStart = attemptsInserted(pool);
                // The backlog is what was produced minus what was finished, the latter from the statistics
                // system's counter (at most about a second late, which shifts the samples but not their trend):
                // counting the runnable jobs every second costs the database more the longer the backlog is,
                // and once it grows, that count alone took the node's share of the CPU.
                for (int second = 1; second <= options.steadySeconds(); second++) {
                    long wakeAt = start + TimeUnit.SECONDS.toNanos(second);
                    TimeUnit.NANOSECONDS.sleep(Math.max(0, wakeAt - System.nanoTime()));
                    samples.add(new long[] {second, Math.max(0, enqueued.get() - (attemptsInserted(pool) - attemptsAtStart))});
                }
                for (Thread producer : producers) {
                    producer.join();
                }
                double elapsed = seconds(System.nanoTime() - start);
                completedRate = (completed(pool) - completedAtStart) / elapsed;
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
        server.drop(url);
        double slope = slope(samples.subList(samples.size() / 2, samples.size()));
        long maxBacklog = samples.stream().mapToLong(s -> s[1]).max().orElse(0);
        long lastBacklog = samples.getLast()[1];
        boolean growing = slope > target * 0.01;
        String producerName = options.steadySqlProducers() ? "sql" : "client";
        table.put("steady state, " + options.steadySeconds() + " s at " + Math.round(target) + " jobs/s offered"
                        + (options.steadySqlProducers() ? " (producers: plain SQL)" : ""),
                String.format(Locale.ROOT, "%s produced, %s completed; backlog last %d, max %d, trend %+.1f jobs/s -> %s"
                                + "  cpu per 1,000 jobs produced: %s",
                        jobsPerS((double) produced / options.steadySeconds()), jobsPerS(completedRate), lastBacklog,
                        maxBacklog, slope, growing ? "GROWING" : "stable", cpuUse));
        results.add(String.format(Locale.ROOT, "RESULT workload=steady producer=%s seconds=%d offered_per_s=%.0f produced=%d "
                        + "produced_per_s=%.0f jobs_per_s=%.0f backlog_last=%d backlog_max=%d backlog_trend_per_s=%.1f "
                        + "growing=%s ratio=%.2f",
                producerName, options.steadySeconds(), target, produced, (double) produced / options.steadySeconds(),
                completedRate, lastBacklog, maxBacklog, slope, growing, completedRate / ceiling));
    }

    /** Adds {@code count} no-op jobs in one transaction. */
    private interface Producer {
        void enqueue(int count) throws SQLException;
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

    private static void produce(Producer producer, double perSecond, long start, long end, AtomicLong enqueued) {
        int batch = 50;
        double periodNanos = TimeUnit.SECONDS.toNanos(1) * batch / perSecond;
        long sent = 0;
        while (System.nanoTime() < end) {
            long due = start + (long) (sent * periodNanos);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
                continue;
            }
            try {
                producer.enqueue(batch);
            } catch (SQLException e) {
                throw new IllegalStateException("a producer could not enqueue", e);
            }
            sent++;
            enqueued.addAndGet(batch);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static void enqueueNoops(String url, int jobs) throws SQLException {
        try (HikariDataSource pool = BenchDatabase.pool(url, 2)) {
            enqueueNoops(Scheduler.builder(pool).build().client(), jobs, 5_000);
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("vacuum analyze pgjobs.jobs");
            }
        }
    }

    private static void enqueueNoops(JobClient client, int jobs, int batchSize) {
        for (int done = 0; done < jobs; done += batchSize) {
            List<JobRequest> batch = new ArrayList<>(batchSize);
            for (int i = 0; i < Math.min(batchSize, jobs - done); i++) {
                batch.add(JobRequest.of(new Noop(0)));
            }
            client.enqueueAll(batch);
        }
    }

    /**
     * Waits until no job is runnable or running. Polling must not slow down what it watches: exact counts over a
     * table that is being drained scan index entries of every job claimed since the last vacuum, so between the
     * exact checks it watches the attempts table's insert counter from the statistics system (updated at most
     * about once a second, never early).
     */
    private static void awaitDrained(String url, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (HikariDataSource pool = BenchDatabase.pool(url, 1)) {
            // the counter is read before the count, so every unfinished job's attempt lands after it
            long attemptsAtStart = attemptsInserted(pool);
            long unfinished = backlog(pool) + running(pool);
            long lastExactCheck = System.nanoTime();
            while (unfinished > 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("jobs not drained within " + timeout);
                }
                TimeUnit.MILLISECONDS.sleep(200);
                boolean countersSayDone = attemptsInserted(pool) - attemptsAtStart >= unfinished;
                if (countersSayDone || System.nanoTime() - lastExactCheck > TimeUnit.SECONDS.toNanos(5)) {
                    attemptsAtStart = attemptsInserted(pool);
                    unfinished = backlog(pool) + running(pool);
                    lastExactCheck = System.nanoTime();
                }
            }
        }
    }

    private static long attemptsInserted(HikariDataSource pool) throws SQLException {
        return queryLong(pool, "select coalesce(sum(n_tup_ins), 0) from pg_stat_user_tables "
                + "where schemaname = 'pgjobs' and relname = 'attempts'");
    }

    private static long backlog(HikariDataSource pool) throws SQLException {
        return queryLong(pool, "select count(*) from pgjobs.jobs where state in ('available', 'scheduled', 'retryable')");
    }

    private static long running(HikariDataSource pool) throws SQLException {
        return queryLong(pool, "select count(*) from pgjobs.jobs where state = 'running'");
    }

    private static long completed(HikariDataSource pool) throws SQLException {
        return queryLong(pool, "select count(*) from pgjobs.attempts");
    }

    private static void execute(HikariDataSource pool, String sql) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static long queryLong(HikariDataSource pool, String sql) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
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

    private static long percentile(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static String jobsPerS(double rate) {
        return String.format(Locale.ROOT, "%,.0f jobs/s", rate);
    }

    private String ratio(double rate) {
        return String.format(Locale.ROOT, "  (%.2f of the ceiling)", rate / ceiling);
    }

    private void printEnvironment() throws SQLException {
        var os = ManagementFactory.getOperatingSystemMXBean();
        long memory = ((com.sun.management.OperatingSystemMXBean) os).getTotalMemorySize();
        System.out.println("pgjobs benchmark" + (quick ? " (--quick)" : ""));
        System.out.printf(Locale.ROOT, "machine: %d cores, %.1f GiB, %s %s; java %s%n", os.getAvailableProcessors(),
                memory / (1024.0 * 1024 * 1024), os.getName(), os.getVersion(), System.getProperty("java.version"));
        server.describe().forEach((k, v) -> System.out.println(k + ": " + v));
        System.out.println();
    }

    private void printResults() {
        System.out.println();
        int width = table.keySet().stream().mapToInt(String::length).max().orElse(10);
        table.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-" + width + "s  %s%n", k, v));
        System.out.println();
        results.forEach(System.out::println);
    }

    /** A node JVM running {@link NodeProcess}. */
    private static final class Node {
        private final Process process;
        private final CountDownLatch ready = new CountDownLatch(1);
        private final Map<Long, Long> starts = new ConcurrentHashMap<>();

        private Node(Process process) {
            this.process = process;
            Thread.ofPlatform().daemon(true).start(this::readOutput);
        }

        static Node start(String url, String nodeId) throws IOException, InterruptedException {
            Process process = new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-cp",
                    System.getProperty("java.class.path"), NodeProcess.class.getName(), url, nodeId)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            Node node = new Node(process);
            if (!node.ready.await(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("node " + nodeId + " did not start within 60 s");
            }
            return node;
        }

        private void readOutput() {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.equals("READY")) {
                        ready.countDown();
                    } else if (line.startsWith("S ")) {
                        String[] parts = line.split(" ");
                        starts.put(Long.parseLong(parts[1]), Long.parseLong(parts[2]));
                    }
                }
            } catch (IOException e) {
                System.err.println("lost the output of a node: " + e);
            }
        }

        /** Enqueue-to-start latencies (nanos) of {@code count} reporting jobs. */
        List<Long> awaitStarts(int count, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (starts.size() < count && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            if (starts.size() < count) {
                throw new IllegalStateException("only " + starts.size() + " of " + count + " jobs started");
            }
            List<Long> latencies = new ArrayList<>(count);
            starts.forEach((sent, started) -> latencies.add(started - sent));
            return latencies;
        }

        ProcessHandle handle() {
            return process.toHandle();
        }

        void stop() {
            try {
                process.getOutputStream().close();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (IOException | InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }
}
