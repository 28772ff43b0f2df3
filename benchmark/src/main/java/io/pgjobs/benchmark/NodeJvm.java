package io.pgjobs.benchmark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A node JVM running {@link NodeProcess}, started by the benchmark and stopped by closing its standard input. */
final class NodeJvm {
    /** A queue's concurrency on every node the workloads start, unless they say otherwise (River's default). */
    static final int DEFAULT_CONCURRENCY = 100;

    private final Process process;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Map<Long, Long> starts = new ConcurrentHashMap<>();

    private NodeJvm(Process process) {
        this.process = process;
        Thread.ofPlatform().daemon(true).start(this::readOutput);
    }

    /** Starts a node whose queue "default" runs {@code concurrency} jobs at a time; returns once it has started. */
    static NodeJvm start(String url, String nodeId, int concurrency) throws IOException, InterruptedException {
        return start(url, nodeId, concurrency, FlowSetup.NONE);
    }

    /** The same, in a JVM started with {@code jvmOptions}. */
    static NodeJvm start(String url, String nodeId, int concurrency, List<String> jvmOptions)
            throws IOException, InterruptedException {
        return launch("node " + nodeId, jvmOptions, NodeProcess.class, url, nodeId, Integer.toString(concurrency),
                FlowSetup.NONE.argument(), "default");
    }

    /** The same, with the flow control of {@code flow} on the queue. */
    static NodeJvm start(String url, String nodeId, int concurrency, FlowSetup flow)
            throws IOException, InterruptedException {
        return launch(url, nodeId, concurrency, flow, "default");
    }

    /** A node without flow control that deletes its completed jobs once they are {@code completedRetention} old. */
    static NodeJvm startRetaining(String url, String nodeId, int concurrency, Duration completedRetention)
            throws IOException, InterruptedException {
        return launch(url, nodeId, concurrency, FlowSetup.NONE, Long.toString(completedRetention.toSeconds()));
    }

    /**
     * The cold floor's plain-JDBC worker ({@link FloorWorker}) instead of a pgjobs node, in a JVM started with
     * {@code jvmOptions}; returns once connected.
     */
    static NodeJvm startFloor(String url, int concurrency, List<String> jvmOptions)
            throws IOException, InterruptedException {
        return launch("the floor worker", jvmOptions, FloorWorker.class, url, Integer.toString(concurrency));
    }

    private static NodeJvm launch(String url, String nodeId, int concurrency, FlowSetup flow, String retention)
            throws IOException, InterruptedException {
        return launch("node " + nodeId, List.of(), NodeProcess.class, url, nodeId, Integer.toString(concurrency),
                flow.argument(), retention);
    }

    /** A JVM on the benchmark's class path with {@code jvmOptions} (none: defaults), running {@code main}. */
    private static NodeJvm launch(String what, List<String> jvmOptions, Class<?> main, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + "/bin/java");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        NodeJvm node = new NodeJvm(process);
        if (!node.ready.await(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(what + " did not start within 60 s");
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
