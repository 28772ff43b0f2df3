package io.pgjobs.samples.orders;

import io.pgjobs.JobContext;
import io.pgjobs.JobHandler;
import io.pgjobs.JobKind;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The day's summary, enqueued by the {@code daily-summary} schedule of application.properties. */
@Component
public class DailySummaryHandler implements JobHandler<DailySummaryHandler.DailySummary> {
    private static final Logger LOG = LoggerFactory.getLogger(DailySummaryHandler.class);

    @JobKind("orders.daily-summary")
    public record DailySummary() {}

    private final JdbcTemplate jdbc;

    public DailySummaryHandler(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public Object handle(JobContext<DailySummary> context) {
        Map<String, Object> summary = jdbc.queryForMap("""
                select count(*) as orders, coalesce(sum(cents), 0) as cents
                from orders where placed_at > now() - interval '1 day'
                """);
        LOG.info("orders in the last day: {}", summary);
        return summary;
    }
}
