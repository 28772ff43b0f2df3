package io.pgjobs;

import io.pgjobs.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.MDC;

/**
 * Runs a scheduler with events, MDC carrying and health checks on a class path without Micrometer,
 * OpenTelemetry and HikariCP. {@link NoOptionalLibrariesTest} starts it in a JVM of its own; it prints one result line.
 */
public final class WithoutOptionalLibraries {
    public static void main(String[] args) throws Exception {
        for (String optional : List.of("io.micrometer.core.instrument.MeterRegistry", "io.opentelemetry.api.OpenTelemetry",
                "com.zaxxer.hikari.HikariDataSource")) {
            try {
                Class.forName(optional);
                throw new IllegalStateException(optional + " is on the class path; this run proves nothing");
            } catch (ClassNotFoundException expected) {
                // the point of this run
            }
        }
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(args[0]);
        List<SchedulerEvent> events = new CopyOnWriteArrayList<>();
        List<String> carried = new CopyOnWriteArrayList<>();
        try (Scheduler scheduler = Scheduler.builder(dataSource).queue("default", 2).pollInterval(Duration.ofMillis(50))
                .listener(events::add).carryMdc("request_id")
                .handler("no-optional.work", Map.class, ctx -> {
                    carried.add(MDC.get("request_id"));
                    return null;
                })
                .build()) {
            scheduler.start();
            MDC.put("request_id", "req-7");
            long id = scheduler.client().enqueue(JobRequest.of("no-optional.work", Map.of("n", 1))).id();
            Await.until(Duration.ofSeconds(30), "the job completed",
                    () -> scheduler.client().get(id).orElseThrow().state() == JobState.COMPLETED);
            Await.until(Duration.ofSeconds(10), "its success reported",
                    () -> events.stream().anyMatch(e -> e instanceof SchedulerEvent.JobSucceeded));
            // health wants a live leader, and this node becomes it within a round of its leader elector
            Await.until(Duration.ofSeconds(30), "health UP: " + scheduler.health().toJson(),
                    () -> scheduler.health().status() == Health.Status.UP);
            System.out.println("RESULT state=" + scheduler.client().get(id).orElseThrow().state()
                    + " mdc=" + carried + " health=" + scheduler.health().status()
                    + " events=" + events.stream().map(e -> e.getClass().getSimpleName()).toList());
        }
    }
}
