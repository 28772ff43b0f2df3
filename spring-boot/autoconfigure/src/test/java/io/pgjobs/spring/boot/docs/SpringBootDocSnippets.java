package io.pgjobs.spring.boot.docs;

import io.pgjobs.JobClient;
import io.pgjobs.JobContext;
import io.pgjobs.JobHandler;
import io.pgjobs.JobKind;
import io.pgjobs.spring.boot.JobHandlerMethod;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.stereotype.Component;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The code snippets of docs/spring-boot.md, as compiled code: each region between
 * {@code // snippet <file>#<n>} and {@code // end snippet} is the n-th snippet of that file, line for line, which
 * {@link SpringBootDocSnippetsTest} checks (the other documentation's snippets are the dashboard module's
 * DocSnippets: they need no Spring types). Never run: the fields are what the snippets take as given.
 */
@SuppressWarnings("unused")
abstract class SpringBootDocSnippets {
    interface Mailer {
        void sendConfirmation(long orderId);
    }

    record Order(String customer, long cents) {}

    record Greet(String name) {}

    interface Greeter {
        String greet(String name);
    }

    @JobKind("parcel.ship")
    record ShipParcel(long parcelId) {}

    @JobKind("card.charge")
    record ChargeCard(String customer, long cents) {}

    record Receipt(String reference) {}

    interface Carrier {
        void book(long parcelId);
    }

    interface Payments {
        Receipt charge(String customer, long cents, String idempotencyKey);
    }

    Mailer mailer;
    HttpSecurity http;

    // snippet docs/spring-boot.md#1
    @JobKind("order.confirm")
    record ConfirmOrder(long orderId) {}

    @Component
    class ConfirmOrderHandler implements JobHandler<ConfirmOrder> {
        public Object handle(JobContext<ConfirmOrder> ctx) {
            mailer.sendConfirmation(ctx.args().orderId());
            return null;
        }
    }

    @Service
    class Orders {
        private final JdbcTemplate jdbc;
        private final JobClient jobs;

        Orders(JdbcTemplate jdbc, JobClient jobs) {
            this.jdbc = jdbc;
            this.jobs = jobs;
        }

        @Transactional
        public long place(Order order) {
            long id = jdbc.queryForObject("insert into orders (customer, cents) values (?, ?) returning id", Long.class,
                    order.customer(), order.cents());
            jobs.enqueue(new ConfirmOrder(id));        // commits or rolls back with the order
            return id;
        }
    }
    // end snippet

    // snippet docs/spring-boot.md#2
    @Bean
    JobHandler<Greet> greet(Greeter greeter) {
        return ctx -> greeter.greet(ctx.args().name());
    }
    // end snippet

    // snippet docs/spring-boot.md#3
    @Service
    class Shipping {
        private final Carrier carrier;
        private final Payments payments;

        Shipping(Carrier carrier, Payments payments) {
            this.carrier = carrier;
            this.payments = payments;
        }

        @JobHandlerMethod
        void ship(ShipParcel parcel) {
            carrier.book(parcel.parcelId());
        }

        @JobHandlerMethod
        Receipt charge(ChargeCard charge, JobContext<ChargeCard> ctx) {
            return payments.charge(charge.customer(), charge.cents(), "job-" + ctx.jobId());
        }
    }
    // end snippet

    void security() throws Exception {
        // snippet docs/spring-boot.md#4
        http.authorizeHttpRequests(auth -> auth
                .requestMatchers("/pgjobs/**").hasAnyRole("PGJOBS_OPERATOR", "PGJOBS_VIEWER")
                .anyRequest().authenticated())
            // the dashboard checks its own CSRF token (header X-PgJobs-Csrf, from GET api/session) and the Origin of
            // every action; Spring Security's token is not sent by its page
            .csrf(csrf -> csrf.ignoringRequestMatchers("/pgjobs/**"));
        // end snippet
    }
}
