package io.pgjobs.spring.boot;

import io.micrometer.core.instrument.MeterRegistry;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.Schedule;
import io.pgjobs.Scheduler;
import io.pgjobs.spring.boot.PgJobsProperties.ScheduleProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * pgjobs on the application's {@link DataSource}: a {@link Scheduler} (migrated when built, started and stopped by
 * {@link SchedulerLifecycle}), its handlers from the {@code JobHandler} beans, and a {@link JobClient} that joins
 * Spring-managed transactions. The application's own Flyway runs first; pgjobs' migrations keep their own history
 * table in pgjobs' schema, so the two never mix. See docs/spring-boot.md.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",   // Boot 3
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",   // Boot 4
        "org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",     // Boot 3
        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"})    // Boot 4
@ConditionalOnClass(Scheduler.class)
@ConditionalOnSingleCandidate(DataSource.class)
@EnableConfigurationProperties(PgJobsProperties.class)
public class PgJobsAutoConfiguration {
    /** Created by Spring Boot when the auto-configuration applies. */
    public PgJobsAutoConfiguration() {
    }

    /**
     * The scheduler, from the {@code pgjobs.*} properties, the handler beans and the customizers, migrated unless
     * {@code pgjobs.migrate-on-start} is false; unless the application declares its own.
     *
     * @param dataSource the application's data source
     * @param properties the {@code pgjobs.*} properties
     * @param beanFactory where the handler beans are found
     * @param customizers what adjusts the builder last
     * @return the scheduler, started and stopped with the application context
     */
    @Bean
    @ConditionalOnMissingBean
    public Scheduler pgjobsScheduler(DataSource dataSource, PgJobsProperties properties,
                                     ConfigurableListableBeanFactory beanFactory,
                                     ObjectProvider<PgJobsSchedulerCustomizer> customizers) {
        Scheduler.Builder builder = Scheduler.builder(dataSource).migrateOnStart(false);
        set("schema", properties.getSchema(), builder::schema);
        properties.getQueues().forEach((queue, concurrency) ->
                set("queues." + queue, concurrency, value -> builder.queue(queue, value)));
        set("node-id", properties.getNodeId(), builder::nodeId);
        set("poll-interval", properties.getPollInterval(), builder::pollInterval);
        set("shutdown-deadline", properties.getShutdownDeadline(), builder::shutdownDeadline);
        set("lease-duration", properties.getLeaseDuration(), builder::leaseDuration);
        set("node-dead-after", properties.getNodeDeadAfter(), builder::nodeDeadAfter);
        set("completed-retention", properties.getCompletedRetention(), builder::completedRetention);
        set("failed-retention", properties.getFailedRetention(), builder::failedRetention);
        HandlerBeans.register(beanFactory, builder, !properties.getQueues().isEmpty());
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        Scheduler scheduler = builder.build();
        if (properties.isMigrateOnStart()) {
            // Before any bean can enqueue, rather than at start: the schema must exist when the context is built.
            scheduler.migrate();
        }
        return scheduler;
    }

    @Bean
    SchedulerLifecycle pgjobsLifecycle(Scheduler scheduler, PgJobsProperties properties) {
        return new SchedulerLifecycle(scheduler, schedules(properties), !properties.getQueues().isEmpty());
    }

    /**
     * The client, whose enqueues join the Spring-managed transaction in progress; unless the application declares
     * its own.
     *
     * @param scheduler the scheduler
     * @param dataSource the data source whose transactions it joins
     * @return the client
     */
    @Bean
    @ConditionalOnMissingBean
    public JobClient pgjobsClient(Scheduler scheduler, DataSource dataSource) {
        return new TransactionalJobClient(scheduler.client(), dataSource);
    }

    /** Records pgjobs' metrics in the application's Micrometer registry when it has one. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    static class MetricsConfiguration {
        @Bean
        PgJobsSchedulerCustomizer pgjobsMeterRegistry(ObjectProvider<MeterRegistry> registry) {
            return builder -> registry.ifUnique(builder::meterRegistry);
        }
    }

    static List<Schedule> schedules(PgJobsProperties properties) {
        List<Schedule> schedules = new ArrayList<>();
        for (Map.Entry<String, ScheduleProperties> entry : properties.getSchedules().entrySet()) {
            schedules.add(schedule(entry.getKey(), entry.getValue()));
        }
        return schedules;
    }

    private static Schedule schedule(String name, ScheduleProperties properties) {
        String prefix = "pgjobs.schedules." + name;
        if (properties.getCron() == null || properties.getCron().isBlank()) {
            throw new IllegalArgumentException(prefix + ".cron: not set");
        }
        if (properties.getKind() == null || properties.getKind().isBlank()) {
            throw new IllegalArgumentException(prefix + ".kind: not set");
        }
        try {
            JobRequest job = JobRequest.of(properties.getKind(), properties.getArgs());
            if (properties.getQueue() != null) {
                job.queue(properties.getQueue());
            }
            Schedule schedule = Schedule.of(name, properties.getCron(), job);
            if (properties.getTimeZone() != null) {
                schedule.timeZone(properties.getTimeZone());
            }
            return schedule;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(prefix + ": " + e.getMessage(), e);
        }
    }

    /** Hands a set property to the builder; its error names the property as the application wrote it. */
    private static <T> void set(String property, T value, Consumer<T> setter) {
        if (value == null) {
            return;
        }
        try {
            setter.accept(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pgjobs." + property + ": " + e.getMessage(), e);
        }
    }
}
