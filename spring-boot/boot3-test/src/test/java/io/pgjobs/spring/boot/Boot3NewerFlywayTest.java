package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.JobClient;
import io.pgjobs.spring.boot.TestApplication.Greet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Spring Boot 3.5 with the Flyway pgjobs is built with (13) instead of Boot's (11), as an application gets when
 * nothing pins Flyway to Boot's version: Boot's Flyway auto-configuration calls a method Flyway 12 removed, and
 * {@code spring.flyway.enabled=false} (for an application without Flyway migrations of its own) avoids it.
 * Run only by this module's {@code newer-flyway} execution, which puts Flyway 13 on the class path.
 */
@ExtendWith(TestDatabase.class)
class Boot3NewerFlywayTest {

    @Test
    void bootsFlywayAutoConfigurationFailsOnFlyway13() {
        assertThat(Flyway.class.getProtectionDomain().getCodeSource().getLocation().getPath())
                .as("the newer-flyway execution's class path").contains("flyway-core-13.");

        assertThatThrownBy(() -> run("spring.flyway.enabled=true").close())
                .rootCause().isInstanceOf(NoSuchMethodError.class).hasMessageContaining("cleanOnValidationError");
    }

    @Test
    void withBootsFlywayOffPgjobsMigratesItselfAndRunsJobs() throws Exception {
        try (ConfigurableApplicationContext app = run("spring.flyway.enabled=false")) {
            app.getBean(JobClient.class).enqueue(new Greet("Flyway 13"));

            @SuppressWarnings("unchecked")
            BlockingQueue<String> greeted = app.getBean("greeted", BlockingQueue.class);
            assertThat(greeted.poll(60, TimeUnit.SECONDS)).isEqualTo("Flyway 13");
        }
    }

    private static ConfigurableApplicationContext run(String flywayProperty) {
        return new SpringApplicationBuilder(TestApplication.class, TestHandlers.class)
                .properties("spring.datasource.url=" + TestDatabase.jdbcUrl(), "pgjobs.queues.default=1", flywayProperty)
                .web(WebApplicationType.NONE)
                .run();
    }
}
