package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthContributorRegistry;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Spring Boot 3.5's health API (HealthIndicatorTest is Boot 4's): pgjobs' health among Actuator's contributors. */
@ExtendWith(TestDatabase.class)
@SpringBootTest(classes = {TestApplication.class, TestHandlers.class}, properties = "pgjobs.queues.default=1")
@DirtiesContext
class Boot3HealthTest {
    @DynamicPropertySource
    static void dataSource(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry);
    }

    @Autowired HealthContributorRegistry contributors;

    @Test
    void aRunningSchedulerIsUpWithItsChecksInTheDetails() throws Exception {
        HealthIndicator pgjobs = (HealthIndicator) contributors.getContributor("pgjobs");
        // pgjobs' own status stays DEGRADED until the node's first leader election ("0 live leaders")
        Await.until(Duration.ofSeconds(60), "pgjobs' health is UP",
                () -> "UP".equals(pgjobs.health().getDetails().get("pgjobs")));

        Health health = pgjobs.health();

        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("pgjobs", "UP").containsKey("database")
                .containsKey(io.pgjobs.Health.NODE_CHECK);
        assertThat(pgjobs.getHealth(false).getDetails()).as("the interface's own methods still work").isEmpty();
    }
}
