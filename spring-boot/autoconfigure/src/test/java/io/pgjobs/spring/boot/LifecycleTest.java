package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobClient;
import io.pgjobs.JobHandler;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Closing the application stops the scheduler before the connection pool: a job still running at the shutdown
 * deadline is interrupted and put back to run again, which takes the pool (had it closed first, the job would
 * stay running until its lease ran out), and the node records that it stopped.
 */
@ExtendWith(TestDatabase.class)
class LifecycleTest {

    @JobKind("wait-forever")
    record WaitForever() {}

    @Configuration(proxyBeanMethods = false)
    static class BlockingHandler {
        static final CountDownLatch started = new CountDownLatch(1);

        @Bean
        JobHandler<WaitForever> waitForever() {
            return context -> {
                started.countDown();
                new CountDownLatch(1).await();
                return null;
            };
        }
    }

    @Test
    void closingPutsTheRunningJobBackBeforeThePoolCloses() throws Exception {
        long jobId;
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(TestApplication.class, BlockingHandler.class)
                .properties("spring.datasource.url=" + TestDatabase.jdbcUrl(),
                        "pgjobs.queues.default=1",
                        "pgjobs.shutdown-deadline=200ms")
                .web(WebApplicationType.NONE)
                .run()) {
            jobId = app.getBean(JobClient.class).enqueue(JobRequest.of(new WaitForever())).id();
            assertThat(BlockingHandler.started.await(60, TimeUnit.SECONDS)).as("the handler started").isTrue();
        }

        assertThat(TestDatabase.queryString("select state from pgjobs.jobs where id = " + jobId)).isEqualTo("available");
        assertThat(TestDatabase.queryLong("select count(*) from pgjobs.nodes where stopped_at is not null")).isOne();
    }
}
