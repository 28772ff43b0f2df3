package io.pgjobs.spring.boot;

import io.pgjobs.JobHandler;
import io.pgjobs.JobKind;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/** An application as a user writes it: the auto-configuration and two handlers, one a class, one a lambda. */
@SpringBootConfiguration
@EnableAutoConfiguration
class TestApplication {

    @JobKind("confirm-order")
    record ConfirmOrder(long orderId) {}

    @JobKind("greet")
    record Greet(String name) {}

    /** A handler written as a class; it hands each order id to the test. */
    static final class ConfirmOrderHandler implements JobHandler<ConfirmOrder> {
        final BlockingQueue<Long> confirmed = new LinkedBlockingQueue<>();

        @Override
        public Object handle(io.pgjobs.JobContext<ConfirmOrder> context) {
            confirmed.add(context.args().orderId());
            return null;
        }
    }

    @Bean
    ConfirmOrderHandler confirmOrderHandler() {
        return new ConfirmOrderHandler();
    }

    @Bean
    BlockingQueue<String> greeted() {
        return new LinkedBlockingQueue<>();
    }

    @Bean
    JobHandler<Greet> greetHandler(BlockingQueue<String> greeted) {
        return context -> greeted.add(context.args().name());
    }
}
