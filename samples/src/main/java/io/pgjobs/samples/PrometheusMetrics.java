package io.pgjobs.samples;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgjobs.JobClient;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;

/**
 * pgjobs' metrics in Prometheus format: a scheduler records into a Micrometer {@link PrometheusMeterRegistry},
 * and a JDK HTTP server exposes it at {@code /metrics} for Prometheus to scrape (the Grafana dashboard in
 * {@code samples/grafana/pgjobs.json} charts it). Jobs of three kinds keep the numbers moving: quick ones, slow
 * ones, and ones that fail now and then and sometimes for good.
 *
 * <pre>./mvnw -q -pl samples -am compile exec:java -Dexec.mainClass=io.pgjobs.samples.PrometheusMetrics</pre>
 */
public final class PrometheusMetrics {
    private static final int DEFAULT_PORT = 9464;

    @JobKind("sample.quick")
    public record Quick(int n) {}

    @JobKind("sample.slow")
    public record Slow(int millis) {}

    @JobKind("sample.flaky")
    public record Flaky(int failOneIn) {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_PORT;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
             HikariDataSource dataSource = Demo.pool(pg.getJdbcUrl("postgres", "postgres"));
             Scheduler scheduler = scheduler(dataSource, registry).build()) {
            scheduler.start();
            HttpServer server = serveMetrics(registry, port);
            // Ctrl-C ends it; the embedded database's own shutdown hook stops PostgreSQL
            System.out.println("metrics at http://localhost:" + server.getAddress().getPort() + "/metrics; Ctrl-C stops");
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    enqueueSomeJobs(scheduler.client());
                    Thread.sleep(1_000); // a steady trickle of demo traffic, not a wait for anything
                }
            } finally {
                server.stop(0);
            }
        }
    }

    /** A scheduler for the three sample kinds that records its metrics in {@code registry}. */
    public static Scheduler.Builder scheduler(DataSource dataSource, PrometheusMeterRegistry registry) {
        return Scheduler.builder(dataSource)
                .meterRegistry(registry)
                .queue("default", 8)
                .queue("slow", 2)
                .pollInterval(Duration.ofMillis(200))
                .queueStatsInterval(Duration.ofSeconds(5))
                .retryPolicy(attempt -> Duration.ofMillis(200L * attempt))
                .handler(Quick.class, ctx -> ctx.args().n() * 2)
                .handler(Slow.class, ctx -> {
                    Thread.sleep(ctx.args().millis()); // stands in for real work
                    return null;
                })
                .handler(Flaky.class, ctx -> {
                    if (ThreadLocalRandom.current().nextInt(ctx.args().failOneIn()) == 0) {
                        throw new IllegalStateException("the flaky service failed");
                    }
                    return null;
                });
    }

    /** One round of demo traffic: quick, slow and flaky jobs in one statement. */
    public static void enqueueSomeJobs(JobClient client) {
        List<JobRequest> requests = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            requests.add(JobRequest.of(new Quick(i)));
        }
        for (int i = 0; i < 3; i++) {
            requests.add(JobRequest.of(new Slow(ThreadLocalRandom.current().nextInt(50, 400))).queue("slow"));
        }
        for (int i = 0; i < 5; i++) {
            requests.add(JobRequest.of(new Flaky(3)).maxAttempts(2));
        }
        client.enqueueAll(requests);
    }

    /** Serves {@code registry}'s Prometheus text at {@code /metrics} on {@code port} (0: any free port). */
    public static HttpServer serveMetrics(PrometheusMeterRegistry registry, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }

    private PrometheusMetrics() {}
}
