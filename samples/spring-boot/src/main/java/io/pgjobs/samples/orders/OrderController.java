package io.pgjobs.samples.orders;

import java.util.Map;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /orders?customer=ada&cents=1250} places an order. */
@RestController
public class OrderController {
    private final Orders orders;

    public OrderController(Orders orders) {
        this.orders = orders;
    }

    @PostMapping("/orders")
    public Map<String, Long> place(@RequestParam String customer, @RequestParam long cents) {
        return Map.of("id", orders.place(customer, cents));
    }
}
