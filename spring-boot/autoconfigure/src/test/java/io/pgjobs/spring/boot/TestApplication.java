package io.pgjobs.spring.boot;

import io.pgjobs.JobKind;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;

/** An application as a user writes it: the auto-configuration, and handlers from {@link TestHandlers} if it runs jobs. */
@SpringBootConfiguration
@EnableAutoConfiguration
class TestApplication {

    @JobKind("confirm-order")
    record ConfirmOrder(long orderId) {}

    @JobKind("greet")
    record Greet(String name) {}
}
