package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.Job;
import io.pgjobs.JobClient;
import io.pgjobs.JobContext;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.NonRetryableException;
import io.pgjobs.testing.Await;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * {@link JobHandlerMethod} methods of beans are registered and called with the job's args and context, their
 * return value stored as the result, their exceptions failing the attempt; a method whose parameters do not say
 * the args type stops the application naming it.
 */
@ExtendWith(TestDatabase.class)
class HandlerMethodsTest {

    @JobKind("method.ship")
    record Ship(String parcel) {}

    @JobKind("method.weigh")
    record Weigh(int grams) {}

    record Untyped(String text) {}

    @JobKind("method.audit")
    record Audit(String entry) {}

    /**
     * A service with handler methods, as an application writes one: it depends on the JobClient, and its
     * {@code @Transactional} method makes it a proxy (whose fields are not the service's: read them by methods).
     */
    static class Shipping {
        private final BlockingQueue<String> shipped = new LinkedBlockingQueue<>();
        private final JobClient jobs;

        Shipping(JobClient jobs) {
            this.jobs = jobs;
        }

        BlockingQueue<String> shipped() {
            return shipped;
        }

        @JobHandlerMethod
        @Transactional
        public void audit(Audit audit) {
            shipped.add(audit.entry() + " in a transaction: " + TransactionSynchronizationManager.isActualTransactionActive());
        }

        @JobHandlerMethod
        void ship(Ship ship) {
            shipped.add(ship.parcel());
            jobs.enqueue(new Weigh(ship.parcel().length() * 100));
        }

        @JobHandlerMethod
        String weigh(Weigh weigh, JobContext<Weigh> context) {
            if (weigh.grams() == 0) {
                throw new NonRetryableException("nothing to weigh");
            }
            return weigh.grams() + " g on attempt " + context.attempt();
        }

        @JobHandlerMethod(kind = "method.untyped")
        void untyped(JobContext<Untyped> context) {
            shipped.add("untyped " + context.args().text());
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ShippingConfiguration {
        @Bean
        Shipping shipping(JobClient jobs) {
            return new Shipping(jobs);
        }
    }

    @Test
    void annotatedMethodsHandleTheirKinds() throws Exception {
        try (ConfigurableApplicationContext app = run(ShippingConfiguration.class, "pgjobs.queues.default=2")) {
            JobClient jobs = app.getBean(JobClient.class);
            Shipping shipping = app.getBean(Shipping.class);

            jobs.enqueue(new Ship("box"));
            jobs.enqueue(new Audit("audit"));
            jobs.enqueue(JobRequest.of("method.untyped", new Untyped("note")));
            long weightless = jobs.enqueue(new Weigh(0)).id();

            Await.until(Duration.ofSeconds(60), "the jobs finished", () -> TestDatabase.queryLong(
                    "select count(*) from pgjobs.jobs where state in ('completed', 'discarded')") == 5);

            assertThat(shipping.shipped()).containsExactlyInAnyOrder("box", "untyped note", "audit in a transaction: true");
            assertThat(TestDatabase.queryString("select result::text from pgjobs.jobs where kind = 'method.weigh'"
                    + " and state = 'completed'")).isEqualTo("\"300 g on attempt 1\"");
            Job failed = jobs.get(weightless).orElseThrow();
            assertThat(failed.state()).isEqualTo(JobState.DISCARDED);
            assertThat(failed.lastError()).contains("nothing to weigh");
        }
    }

    static class TwoArgs {
        @JobHandlerMethod
        void both(Ship ship, Weigh weigh) {}
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoArgsConfiguration {
        @Bean
        TwoArgs twoArgs() {
            return new TwoArgs();
        }
    }

    static class NoArgs {
        @JobHandlerMethod(kind = "nothing")
        void nothing() {}
    }

    @Configuration(proxyBeanMethods = false)
    static class NoArgsConfiguration {
        @Bean
        NoArgs noArgs() {
            return new NoArgs();
        }
    }

    @Test
    void aMethodWhoseArgsTypeIsUnclearStopsTheApplicationNamingIt() {
        assertThatThrownBy(() -> run(TwoArgsConfiguration.class, "pgjobs.queues.default=1").close())
                .rootCause().hasMessageContaining("@JobHandlerMethod TwoArgs.both (bean 'twoArgs') takes two args");
        assertThatThrownBy(() -> run(NoArgsConfiguration.class, "pgjobs.queues.default=1").close())
                .rootCause().hasMessageContaining("@JobHandlerMethod NoArgs.nothing (bean 'noArgs') does not say");
    }

    @Test
    void handlerMethodsWithoutQueuesAreNamed() {
        assertThatThrownBy(() -> run(ShippingConfiguration.class, "pgjobs.schema=pgjobs").close())
                .rootCause().hasMessageContaining("@JobHandlerMethod Shipping.ship (bean 'shipping')")
                .hasMessageContaining("pgjobs.queues is empty");
    }

    private static ConfigurableApplicationContext run(Class<?> configuration, String property) {
        return new SpringApplicationBuilder(TestApplication.class, configuration)
                .properties("spring.datasource.url=" + TestDatabase.jdbcUrl(), "pgjobs.poll-interval=100ms", property)
                .web(WebApplicationType.NONE)
                .run();
    }
}
