package io.pgjobs.cluster;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Starts {@link WorkerProcess} JVMs and sends them signals; every process it starts is killed by {@link #close()}. */
final class WorkerLauncher implements AutoCloseable {
    /** A started worker JVM and the file its output goes to. */
    record Worker(String nodeId, Process process, Path log) {
        long pid() {
            return process.pid();
        }

        String output() throws IOException {
            return Files.readString(log);
        }
    }

    private final List<Worker> started = new CopyOnWriteArrayList<>();

    /** {@code options}: the {@link WorkerProcess}'s optional arguments (its test hooks, {@code limited}). */
    Worker start(String jdbcUrl, String nodeId, long leaseMs, long deadAfterMs, int concurrency, long shutdownMs,
                 String... options) throws IOException {
        Path logs = Path.of("target", "worker-logs");
        Files.createDirectories(logs);
        Path log = logs.resolve(nodeId + "-" + System.nanoTime() + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), WorkerProcess.class.getName(),
                jdbcUrl, nodeId, Long.toString(leaseMs), Long.toString(deadAfterMs), Integer.toString(concurrency),
                Long.toString(shutdownMs)));
        command.addAll(List.of(options));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        Worker worker = new Worker(nodeId, process, log);
        started.add(worker);
        return worker;
    }

    /**
     * Starts node-a, node-b and node-c with the same settings and waits until all three have registered (a busy
     * machine can take a minute and more to start three JVMs).
     */
    List<Worker> startThree(PgDatabase db, long leaseMs, long deadAfterMs, int concurrency, long shutdownMs,
                            String... options) throws Exception {
        List<Worker> nodes = new ArrayList<>();
        for (String id : List.of("node-a", "node-b", "node-c")) {
            nodes.add(start(db.jdbcUrl(), id, leaseMs, deadAfterMs, concurrency, shutdownMs, options));
        }
        Await.until(Duration.ofSeconds(120), "three nodes registered",
                () -> db.queryLong("select count(*) from pgjobs.nodes where stopped_at is null") == 3);
        return List.copyOf(nodes);
    }

    /** SIGKILL: the JVM dies at once, without closing anything. */
    void kill(Worker worker) throws InterruptedException {
        worker.process().destroyForcibly();
        worker.process().waitFor();
    }

    /** SIGSTOP: the process freezes (threads, timers, sockets all stay as they are) until {@link #resume}. */
    void freeze(Worker worker) throws IOException, InterruptedException {
        signal(worker, "-STOP");
    }

    void resume(Worker worker) throws IOException, InterruptedException {
        signal(worker, "-CONT");
    }

    /** Lets a worker started with {@link WorkerProcess#HOLD_COMPLETION} go on from its held completion. */
    void release(Worker worker) throws IOException {
        worker.process().getOutputStream().write('\n');
        worker.process().getOutputStream().flush();
    }

    /** SIGTERM and wait: the worker closes its scheduler gracefully; returns whether it exited in time. */
    boolean stop(Worker worker, long timeoutSeconds) throws InterruptedException {
        worker.process().destroy();
        return worker.process().waitFor(timeoutSeconds, TimeUnit.SECONDS);
    }

    private static void signal(Worker worker, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(worker.pid()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill " + signal + " " + worker.pid() + " failed with exit code " + kill.exitValue());
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Worker worker : started) {
            if (worker.process().isAlive()) { // SIGKILL ends a frozen (SIGSTOPped) process too
                worker.process().destroyForcibly();
                worker.process().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
