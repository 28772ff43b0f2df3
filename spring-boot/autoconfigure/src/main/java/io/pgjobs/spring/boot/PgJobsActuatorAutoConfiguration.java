package io.pgjobs.spring.boot;

import io.pgjobs.Scheduler;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** pgjobs in Spring Boot Actuator, when the application has it: the {@code pgjobs} endpoint and health. */
@AutoConfiguration(after = PgJobsAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
@ConditionalOnBean(Scheduler.class)
public class PgJobsActuatorAutoConfiguration {
    /** Created by Spring Boot when the auto-configuration applies. */
    public PgJobsActuatorAutoConfiguration() {
    }

    /**
     * The {@code pgjobs} endpoint, unless the application declares its own.
     *
     * @param scheduler the application's scheduler
     * @return the endpoint
     */
    @Bean
    @ConditionalOnMissingBean
    public PgJobsEndpoint pgjobsEndpoint(Scheduler scheduler) {
        return new PgJobsEndpoint(scheduler);
    }

    /** Spring Boot 4's health API. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class HealthConfiguration {
        @Bean
        @ConditionalOnMissingBean
        PgJobsHealthIndicator pgjobsHealthIndicator(Scheduler scheduler) {
            return new PgJobsHealthIndicator(scheduler);
        }
    }

    /** Spring Boot 3.5's health API, which Boot 4 moved (see {@link Boot3HealthIndicator}). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = Boot3HealthIndicator.INDICATOR)
    static class Boot3HealthConfiguration {
        @Bean
        @ConditionalOnMissingBean(name = "pgjobsHealthIndicator")
        Boot3HealthIndicator pgjobsHealthIndicator(Scheduler scheduler, ApplicationContext context) {
            return new Boot3HealthIndicator(scheduler, context.getClassLoader());
        }
    }
}
