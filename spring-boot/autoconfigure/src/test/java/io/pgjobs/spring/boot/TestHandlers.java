package io.pgjobs.spring.boot;

import io.pgjobs.JobContext;
import io.pgjobs.JobClient;
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

    /** Depends on the JobClient, as a handler that enqueues follow-up jobs does: greeting "Ada" greets "Ada's friend". */
    @Bean
    JobHandler<Greet> greetHandler(BlockingQueue<String> greeted, JobClient jobs) {
        return context -> {
            String name = context.args().name();
            greeted.add(name);
            if (name.equals("Ada")) {
                jobs.enqueue(new Greet("Ada's friend"));
            }
            return null;
        };
    }
}
