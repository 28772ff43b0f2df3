package io.pgjobs.samples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgjobs.JobClient;
import io.pgjobs.JobState;
import io.pgjobs.ScheduleInfo;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;

/** The sample as it runs: on its embedded PostgreSQL, with application.properties. */
@SpringBootTest
@DirtiesContext
class OrderServiceTest {
    @Autowired Orders orders;
    @Autowired JobClient jobs;
    @Autowired JdbcTemplate jdbc;

    @Test
    void aPlacedOrderIsConfirmedByItsJob() {
        long id = orders.place("ada", 1250);

        await().atMost(Duration.ofSeconds(60)).until(() ->
                jdbc.queryForObject("select confirmed_at is not null from orders where id = ?", Boolean.class, id));
    }

    @Test
    void theDailySummaryScheduleComesFromTheProperties() {
        ScheduleInfo summary = jobs.schedules().get("daily-summary").orElseThrow();
        assertThat(summary.expression()).isEqualTo("0 18 * * *");
        assertThat(summary.timeZone()).hasToString("Europe/Berlin");

        long jobId = jobs.schedules().triggerNow("daily-summary").orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> jobs.get(jobId).orElseThrow().state() == JobState.COMPLETED);
    }
}
