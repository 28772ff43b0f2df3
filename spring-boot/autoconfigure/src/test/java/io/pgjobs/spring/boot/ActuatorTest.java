package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgjobs.Health;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.ScheduleInfo;
import io.pgjobs.Scheduler;
import io.pgjobs.spring.boot.TestApplication.Greet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** With Actuator: the {@code pgjobs} endpoint describes schedules and health, and metrics go to the app's registry. */
@ExtendWith(TestDatabase.class)
@SpringBootTest(classes = {TestApplication.class, TestHandlers.class, ActuatorTest.Registry.class}, properties = {
        "pgjobs.queues.default=1",
        "pgjobs.schedules.hourly.cron=0 * * * *",
        "pgjobs.schedules.hourly.kind=greet"})
@DirtiesContext
class ActuatorTest {
    @DynamicPropertySource
    static void dataSource(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry);
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class Registry {
        @Bean
        SimpleMeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }

    @Autowired PgJobsEndpoint endpoint;
    @Autowired Scheduler scheduler;
    @Autowired JobClient jobClient;
    @Autowired MeterRegistry meterRegistry;

    @Test
    void theEndpointDescribesThisNodeItsSchedulesAndHealth() {
        PgJobsEndpoint.Description description = endpoint.describe();

        assertThat(description.nodeId()).isEqualTo(scheduler.nodeId());
        assertThat(description.schedules()).extracting(ScheduleInfo::name).contains("hourly");
        assertThat(description.health().status()).isNotEqualTo(Health.Status.DOWN);
    }

    @Test
    void metricsGoToTheApplicationsRegistry() {
        jobClient.enqueue(JobRequest.of(new Greet("Grace")));

        assertThat(meterRegistry.find("pgjobs.jobs.enqueued").counters())
                .as("pgjobs.jobs.enqueued counted").isNotEmpty()
                .allSatisfy(counter -> assertThat(counter.count()).isPositive());
    }
}
