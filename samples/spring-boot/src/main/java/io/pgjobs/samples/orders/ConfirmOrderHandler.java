package io.pgjobs.samples.orders;

import io.pgjobs.JobContext;
import io.pgjobs.JobHandler;
import io.pgjobs.samples.orders.Orders.ConfirmOrder;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Confirms an order (where a real service would send the customer an email). Idempotent, as a handler must be: a
 * job may run again after a crash, and confirming twice changes nothing.
 */
@Component
public class ConfirmOrderHandler implements JobHandler<ConfirmOrder> {
    private final JdbcTemplate jdbc;

    public ConfirmOrderHandler(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public Object handle(JobContext<ConfirmOrder> context) {
        jdbc.update("update orders set confirmed_at = now() where id = ? and confirmed_at is null",
                context.args().orderId());
        return null;
    }
}
