package io.pgjobs.samples.orders;

import io.pgjobs.JobClient;
import io.pgjobs.JobKind;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Places orders: the order row and its confirmation job commit together, or neither does. */
@Service
public class Orders {

    @JobKind("orders.confirm")
    public record ConfirmOrder(long orderId) {}

    private final JdbcTemplate jdbc;
    private final JobClient jobs;

    public Orders(JdbcTemplate jdbc, JobClient jobs) {
        this.jdbc = jdbc;
        this.jobs = jobs;
    }

    @Transactional
    public long place(String customer, long cents) {
        Long id = jdbc.queryForObject("insert into orders (customer, cents) values (?, ?) returning id",
                Long.class, customer, cents);
        jobs.enqueue(new ConfirmOrder(id));
        return id;
    }
}
