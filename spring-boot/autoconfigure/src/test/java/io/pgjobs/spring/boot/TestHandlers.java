package io.pgjobs.spring.boot;

import io.pgjobs.JobContext;
import io.pgjobs.JobHandler;
import io.pgjobs.spring.boot.TestApplication.ConfirmOrder;
import io.pgjobs.spring.boot.TestApplication.Greet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Handlers for an application that works queues: one written as a class, one as a lambda. */
@Configuration(proxyBeanMethods = false)
class TestHandlers {

    /** A handler written as a class; it hands each order id to the test. */
    static final class ConfirmOrderHandler implements JobHandler<ConfirmOrder> {
        final BlockingQueue<Long> confirmed = new LinkedBlockingQueue<>();

        @Override
        public Object handle(JobContext<ConfirmOrder> context) {
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
