package io.pgjobs.benchmark;

import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.Scheduler;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One scheduler node in its own JVM, as a user would run it: default settings, one queue of the given
 * concurrency (100, River's default, or 16, what users commonly configure), a no-op handler. Prints
 * {@code READY} once started and {@code S <sent> <started>} (both System.nanoTime, which is one monotonic clock
 * for every process on a Linux machine) for each job whose args ask for it. Ends when its standard input
 * closes.
 *
 * <p>Arguments: JDBC URL, node id, the queue's concurrency, the queue's flow control ({@link FlowSetup#argument}),
 * how many seconds completed jobs are kept ({@code default}: pgjobs' default).
 */
public final class NodeProcess {
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        try (HikariDataSource dataSource = BenchDatabase.pool(args[0], 20);
             Scheduler scheduler = retention(args[4], FlowSetup.parse(args[3]).apply(Scheduler.builder(dataSource)
                     .nodeId(args[1])
                     .queue("default", Integer.parseInt(args[2]))
                     .migrateOnStart(false)
                     .handler(Noop.class, ctx -> {
                         long sent = ctx.args().sentNanos();
                         if (sent > 0) {
                             long started = System.nanoTime();
                             synchronized (out) {
                                 out.println("S " + sent + " " + started);
                                 out.flush();
                             }
                         }
                         return null;
                     })))
                     .build()) {
            scheduler.start();
            synchronized (out) {
                out.println("READY");
                out.flush();
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (in.readLine() != null) {
                // anything on stdin is ignored; end of input means stop
            }
        }
    }

    private static Scheduler.Builder retention(String seconds, Scheduler.Builder builder) {
        return seconds.equals("default") ? builder
                : builder.completedRetention(Duration.ofSeconds(Long.parseLong(seconds)));
    }

    private NodeProcess() {}
}
