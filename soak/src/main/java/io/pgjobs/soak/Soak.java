package io.pgjobs.soak;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobClient;
import io.pgjobs.Scheduler;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The chaos soak (docs/reliability.md): starts the nodes, then for the run's duration the producer enqueues and
 * the injector injects faults; then the jobs drain, the nodes stop, and the checker and the report read the
 * database. Exits 1 when an invariant was broken or a fault was not recovered from, 2 on bad options.
 */
public final class Soak {
    /** What a run found: the broken invariants, and the faults by kind. */
    record Result(List<InvariantChecker.Violation> violations, Map<String, SoakReport.FaultCount> faults,
                  long enqueued) {
        boolean passed() {
            return violations.isEmpty()
                    && faults.values().stream().allMatch(f -> f.recovered() == f.injected());
        }
    }

    private static final Duration DRAIN_DEADLINE = Duration.ofMinutes(5);

    public static void main(String[] args) throws Exception {
        SoakOptions options;
        try {
            options = SoakOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("soak: " + e.getMessage());
            System.exit(2);
            return;
        }
        Result result = run(options, System.out);
        System.out.println(result.passed() ? "SOAK PASSED" : "SOAK FAILED");
        System.exit(result.passed() ? 0 : 1);
    }

    static Result run(SoakOptions options, PrintStream out) throws Exception {
        out.println("[soak] " + options);
        long start = System.nanoTime();
        Path logs = Files.createDirectories(Path.of("target", "soak-logs"));
        try (SoakDatabase database = options.jdbcUrl() == null
                ? SoakDatabase.embedded(SoakDatabase.LATEST, options.dataDir())
                : SoakDatabase.onServer(options.jdbcUrl());
             HikariDataSource producerPool = database.pool("soak-producer", 4)) {
            List<NodeJvm> nodes = new ArrayList<>();
            ExecutorService threads = Executors.newFixedThreadPool(3);
            try {
                for (int i = 1; i <= options.nodes(); i++) {
                    NodeJvm node = new NodeJvm("soak-node-" + i, database.dataSource(), database.jdbcUrl(),
                            options.leaseMs(), options.concurrency(), logs, start);
                    nodes.add(node);
                    node.start();
                }
                out.println("[soak] " + nodes.size() + " nodes started; node output in " + logs.toAbsolutePath());
                // the load's duration counts from here: starting the nodes can take long on a busy machine
                long end = System.nanoTime() + options.duration().toNanos();
                JobClient client = Scheduler.builder(producerPool).migrateOnStart(false).buildClient();
                Producer producer = new Producer(producerPool, client, options.jobsPerSecond(), options.seed(), end);
                ConnectionSampler connections = new ConnectionSampler(database.dataSource());
                Future<?> producing = threads.submit(producer);
                Future<?> injecting = threads.submit(new FaultInjector(database, client, nodes, options, end));
                Future<?> sampling = threads.submit(connections);
                producing.get();
                injecting.get();
                out.println("[soak] load and faults over: " + producer.enqueued() + " jobs enqueued, "
                        + producer.duplicates() + " duplicates of unique jobs, " + producer.refusedBatches()
                        + " batches refused during faults; draining");
                sealRemainingBatches(producer);
                client.schedules().pause(SoakJobs.TICK_SCHEDULE);
                awaitDrained(database.dataSource());
                for (NodeJvm node : nodes) {
                    node.stop();
                }
                sampling.cancel(true);
                InvariantChecker checker = new InvariantChecker(database.dataSource(), options.concurrency());
                SoakReport report = new SoakReport(database.dataSource());
                report.print(out, nodes, connections);
                List<InvariantChecker.Violation> violations = checker.check();
                checker.print(violations, out);
                out.println("[soak] " + violations.size() + " violations");
                return new Result(violations, report.faults(), producer.enqueued());
            } finally {
                threads.shutdownNow();
                for (NodeJvm node : nodes) {
                    node.close();
                }
            }
        }
    }

    /** Seals the batches whose seal a fault refused during the load, trying for up to a minute. */
    private static void sealRemainingBatches(Producer producer) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            try {
                producer.sealBatches();
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(500); // the fault that refused the seal is still going on
            }
        }
    }

    /** Waits until every soak job is in a final state, or the drain deadline passed (the checker then says which). */
    static void awaitDrained(HikariDataSource dataSource) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + DRAIN_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("""
                         select count(*) from pgjobs.jobs
                         where kind like 'soak.%' and state not in ('completed', 'discarded', 'cancelled')""");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    return;
                }
            }
            TimeUnit.MILLISECONDS.sleep(200); // polling the condition, up to the deadline
        }
    }

    private Soak() {}
}
