package io.pgjobs.soak;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A soak node's JVM ({@link SoakNode}) over its restarts: starts it, kills, freezes and stops it, keeps its
 * output in {@code <logs>/<node>.log} and its resource samples across every incarnation, and records each
 * incarnation in {@code soak.node_runs} (launched, ready, ended, in the database's time), from which the checker
 * tells when a node's slots were capacity ({@link InvariantChecker}).
 */
final class NodeJvm implements AutoCloseable {
    /** One resource sample: seconds since the soak started, heap after GC, live threads. */
    record Sample(long second, long heapAfterGc, int threads) {}

    private final String nodeId;
    /** The harness's pool, for the node's rows of {@code soak.node_runs}. */
    private final DataSource harness;
    private final String jdbcUrl;
    private final long leaseMs;
    private final int concurrency;
    private final Path log;
    private final long soakStartNanos;
    /** The node's class path: this JVM's, or another version of pgjobs' before it (see {@link Upgrade}). */
    private final String classPath;
    /** Arguments after the four every node takes (see {@link SoakNode}). */
    private final List<String> moreArgs;
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final AtomicInteger failedStarts = new AtomicInteger();
    private volatile Process process;
    /** The current incarnation's row of {@code soak.node_runs}. */
    private volatile long runId;

    NodeJvm(String nodeId, DataSource harness, String jdbcUrl, long leaseMs, int concurrency, Path logs,
            long soakStartNanos) {
        this(nodeId, harness, jdbcUrl, leaseMs, concurrency, logs, soakStartNanos,
                System.getProperty("java.class.path"), List.of());
    }

    NodeJvm(String nodeId, DataSource harness, String jdbcUrl, long leaseMs, int concurrency, Path logs,
            long soakStartNanos, String classPath, List<String> moreArgs) {
        this.nodeId = nodeId;
        this.harness = harness;
        this.classPath = classPath;
        this.moreArgs = List.copyOf(moreArgs);
        this.jdbcUrl = jdbcUrl;
        this.leaseMs = leaseMs;
        this.concurrency = concurrency;
        this.log = logs.resolve(nodeId + ".log");
        this.soakStartNanos = soakStartNanos;
    }

    String nodeId() {
        return nodeId;
    }

    List<Sample> samples() {
        return List.copyOf(samples);
    }

    /**
     * How long a node's JVM may take to start its scheduler: a restart in the hour's run at a load average of 40 to
     * 54 took longer than the two minutes allowed before, and the injector stopped there.
     */
    private static final Duration START_DEADLINE = Duration.ofMinutes(5);

    /** How often a node's JVM may exit before its scheduler started, in a row, before the soak gives up. */
    private static final int START_TRIES = 5;

    /**
     * Starts a new incarnation and returns once its scheduler has started. A JVM that exits before (its
     * {@code start()} failed) is counted, logged and started again, as a supervisor would.
     */
    void start() throws IOException, InterruptedException, SQLException {
        for (int tries = 1; !startOnce(); tries++) {
            failedStarts.incrementAndGet();
            String message = "node " + nodeId + " exited with " + process.exitValue() + " before it started; see " + log;
            if (tries == START_TRIES) {
                throw new IllegalStateException(message + " (" + tries + " times in a row)");
            }
            System.out.println("[soak] " + message + "; starting it again");
        }
    }

    /** Starts of the node that failed: the JVM exited before its scheduler had started. */
    int failedStarts() {
        return failedStarts.get();
    }

    private boolean startOnce() throws IOException, InterruptedException, SQLException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", classPath, SoakNode.class.getName(),
                jdbcUrl, nodeId, Long.toString(leaseMs), Integer.toString(concurrency)));
        command.addAll(moreArgs);
        runId = FaultLog.retrying(() -> FaultLog.queryLong(harness,
                "insert into soak.node_runs (node, launched_at) values (?, clock_timestamp()) returning id", nodeId));
        Process started = new ProcessBuilder(command).redirectErrorStream(true).start();
        process = started;
        CountDownLatch ready = new CountDownLatch(1);
        Thread.ofPlatform().daemon(true).name("output-" + nodeId).start(() -> copyOutput(started, ready));
        long deadline = System.nanoTime() + START_DEADLINE.toNanos();
        while (!ready.await(100, TimeUnit.MILLISECONDS)) {
            if (!started.isAlive()) {
                recordRun("ended_at");
                return false;
            }
            if (System.nanoTime() > deadline) {
                started.destroyForcibly();
                throw new IllegalStateException("node " + nodeId + " did not start within " + START_DEADLINE + "; see " + log);
            }
        }
        recordRun("ready_at");
        return true;
    }

    /** Sets the current incarnation's {@code column} of {@code soak.node_runs} to the database's time now. */
    private void recordRun(String column) throws SQLException, InterruptedException {
        long id = runId;
        FaultLog.retrying(() -> FaultLog.queryLong(harness,
                "update soak.node_runs set " + column + " = clock_timestamp() where id = ? returning id", id));
    }

    private void copyOutput(Process source, CountDownLatch ready) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(source.getInputStream(), StandardCharsets.UTF_8));
             PrintStream out = new PrintStream(Files.newOutputStream(log, StandardOpenOption.CREATE,
                     StandardOpenOption.APPEND), true, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals(SoakNode.STARTED)) {
                    ready.countDown();
                } else if (line.startsWith("R ")) {
                    String[] parts = line.split(" ");
                    long second = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - soakStartNanos);
                    samples.add(new Sample(second, Long.parseLong(parts[1]), Integer.parseInt(parts[2])));
                    continue;
                }
                out.println(line);
            }
        } catch (IOException e) {
            // killing a node closes its output under the reader: only a live node's lost output is news
            if (source.isAlive()) {
                System.err.println("lost the output of node " + nodeId + ": " + e);
            }
        }
    }

    /** SIGKILL: the JVM dies at once, closing nothing. */
    void kill() throws InterruptedException, SQLException {
        process.destroyForcibly();
        process.waitFor();
        recordRun("ended_at");
    }

    /** SIGSTOP: every thread freezes, sockets stay open, until {@link #resume()}. */
    void freeze() throws IOException, InterruptedException {
        signal("-STOP");
    }

    void resume() throws IOException, InterruptedException {
        signal("-CONT");
    }

    /**
     * SIGTERM: the node closes its scheduler gracefully; killed if it has not exited within a minute. Returns
     * whether it exited by itself.
     */
    boolean stop() throws InterruptedException, SQLException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            System.err.println("node " + nodeId + " did not stop within 60 s of SIGTERM; killing it");
            kill();
            return false;
        }
        recordRun("ended_at");
        return true;
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill " + signal + " " + process.pid() + " failed with exit code " + kill.exitValue());
        }
    }

    /** SIGKILL if still alive (a frozen process too): nothing outlives the soak. */
    @Override
    public void close() throws InterruptedException {
        Process current = process;
        if (current != null && current.isAlive()) {
            current.destroyForcibly();
            current.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
