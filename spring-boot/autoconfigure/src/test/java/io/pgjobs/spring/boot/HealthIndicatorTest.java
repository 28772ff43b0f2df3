package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Spring Boot 4's health API (not compiled for 3.5): pgjobs' health as a contributor, with its checks. */
@ExtendWith(TestDatabase.class)
@SpringBootTest(classes = {TestApplication.class, TestHandlers.class}, properties = "pgjobs.queues.default=1")
@DirtiesContext
class HealthIndicatorTest {
    @DynamicPropertySource
    static void dataSource(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry);
    }

    @Autowired PgJobsHealthIndicator indicator;

    @Test
    void aRunningSchedulerIsUpWithItsChecksInTheDetails() {
        Health health = indicator.health();

        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsKey("database").containsKey(io.pgjobs.Health.NODE_CHECK);
    }
}
