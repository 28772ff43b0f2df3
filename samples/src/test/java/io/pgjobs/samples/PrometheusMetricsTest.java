package io.pgjobs.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgjobs.Scheduler;
import io.pgjobs.SchedulerEvent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The Grafana dashboard must chart only metrics that the Prometheus sample really exports. */
class PrometheusMetricsTest {
    private static final Pattern METRIC_NAME = Pattern.compile("pgjobs_[a-z_]+");

    @Test
    void everyMetricTheGrafanaDashboardQueriesIsInTheScrape() throws Exception {
        Set<String> charted = metricNamesInDashboard(Path.of("grafana", "pgjobs.json"));
        assertThat(charted).contains("pgjobs_jobs_completed_total", "pgjobs_queue_depth",
                "pgjobs_jobs_duration_seconds_bucket");

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        CountDownLatch finished = new CountDownLatch(28); // one round of sample traffic
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
             HikariDataSource dataSource = Demo.pool(pg.getJdbcUrl("postgres", "postgres"));
             Scheduler scheduler = PrometheusMetrics.scheduler(dataSource, registry)
                     .queueStatsInterval(Duration.ofMillis(100))
                     .listener(event -> {
                         if (event instanceof SchedulerEvent.JobSucceeded || event instanceof SchedulerEvent.JobDiscarded) {
                             finished.countDown();
                         }
                     })
                     .build()) {
            scheduler.start();
            HttpServer server = PrometheusMetrics.serveMetrics(registry, 0);
            try {
                PrometheusMetrics.enqueueSomeJobs(scheduler.client());
                assertThat(finished.await(60, TimeUnit.SECONDS)).as("every sample job finished").isTrue();

                String scrape = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + server.getAddress().getPort() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Set<String> exported = scrape.lines().filter(line -> line.startsWith("pgjobs_"))
                        .map(line -> line.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
                assertThat(exported).as("metrics in the scrape").containsAll(charted);
            } finally {
                server.stop(0);
            }
        }
    }

    private static Set<String> metricNamesInDashboard(Path dashboard) throws Exception {
        JsonNode root = new ObjectMapper().readTree(dashboard.toFile());
        Set<String> names = new TreeSet<>();
        for (JsonNode expr : root.findValues("expr")) {
            Matcher matcher = METRIC_NAME.matcher(expr.asText());
            while (matcher.find()) {
                names.add(matcher.group());
            }
        }
        return names;
    }
}
