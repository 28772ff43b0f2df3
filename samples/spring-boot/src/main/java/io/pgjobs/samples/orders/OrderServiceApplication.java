package io.pgjobs.samples.orders;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * An order service on pgjobs' Spring Boot starter: placing an order writes the order and its confirmation job in
 * one transaction ({@link Orders}), a handler bean confirms it ({@link ConfirmOrderHandler}), and a cron schedule
 * from application.properties enqueues the day's summary ({@link DailySummaryHandler}). Run it with
 * {@code ./mvnw -q -pl samples/spring-boot -am test-compile exec:java}, then
 * {@code curl -X POST 'localhost:8080/orders?customer=ada&cents=1250'}.
 */
@SpringBootApplication
public class OrderServiceApplication {
    public static void main(String[] args) {
        SpringApplication.run(OrderServiceApplication.class, args);
    }
}
