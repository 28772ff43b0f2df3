package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;

/** A bad {@code pgjobs.*} property stops the application at startup with an error naming the property. */
@ExtendWith(TestDatabase.class)
class PropertiesTest {

    @Test
    void aQueueConcurrencyOutOfRangeIsNamed() {
        assertThatThrownBy(() -> start("pgjobs.queues.emails=0"))
                .hasStackTraceContaining("pgjobs.queues.emails: queue 'emails': concurrency 0 is out of range 1..10000");
    }

    @Test
    void aBadCronExpressionIsNamed() {
        assertThatThrownBy(() -> start("pgjobs.schedules.nightly.cron=every tuesday", "pgjobs.schedules.nightly.kind=greet"))
                .hasStackTraceContaining("pgjobs.schedules.nightly: expression: interval 'every tuesday' is not one this "
                        + "grammar reads");
    }

    @Test
    void aScheduleWithoutKindIsNamed() {
        assertThatThrownBy(() -> start("pgjobs.schedules.nightly.cron=0 3 * * *"))
                .rootCause().hasMessageContaining("pgjobs.schedules.nightly.kind: not set");
    }

    @Test
    void aPollIntervalOutOfRangeIsNamed() {
        assertThatThrownBy(() -> start("pgjobs.queues.default=1", "pgjobs.poll-interval=2h"))
                .hasStackTraceContaining("pgjobs.poll-interval: pollInterval: PT2H is out of range");
    }

    @Test
    void handlersWithoutQueuesAreNamed() {
        assertThatThrownBy(() -> new SpringApplicationBuilder(TestApplication.class, TestHandlers.class)
                .properties("spring.datasource.url=" + TestDatabase.jdbcUrl())
                .web(WebApplicationType.NONE)
                .run()
                .close())
                .rootCause().hasMessageContaining("JobHandler bean confirmOrderHandler, JobHandler bean greetHandler are declared but "
                        + "pgjobs.queues is empty");
    }

    @Test
    void aDashboardPathWithATrailingSlashIsNamed() {
        assertThatThrownBy(() -> new SpringApplicationBuilder(TestApplication.class)
                .properties("spring.datasource.url=" + TestDatabase.jdbcUrl(), "server.port=0",
                        "pgjobs.dashboard.path=/pgjobs/")
                .web(WebApplicationType.SERVLET)
                .run()
                .close())
                .hasStackTraceContaining("pgjobs.dashboard.path: '/pgjobs/' must start with '/'");
    }

    private static void start(String... properties) {
        new SpringApplicationBuilder(TestApplication.class)
                .properties("spring.datasource.url=" + TestDatabase.jdbcUrl())
                .properties(properties)
                .web(WebApplicationType.NONE)
                .run()
                .close();
    }
}
