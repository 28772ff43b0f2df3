package io.pgjobs.samples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobClient;
import io.pgjobs.JobState;
import io.pgjobs.ScheduleInfo;
import io.pgjobs.Scheduler;
import io.pgjobs.test.PgJobsTestKit;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The sample as it runs: on its embedded PostgreSQL, with application.properties. pgjobs' test kit
 * (docs/testing.md) waits for the application's scheduler to run what is due, and checks no job failed.
 */
@SpringBootTest
@DirtiesContext
class OrderServiceTest {
    @Autowired Orders orders;
    @Autowired JobClient jobs;
    @Autowired JdbcTemplate jdbc;
    @Autowired Scheduler scheduler;
    @Autowired DataSource dataSource;
    PgJobsTestKit kit;

    @BeforeEach
    void kit() {
        kit = PgJobsTestKit.of(scheduler, dataSource, "pgjobs");
    }

    @Test
    void aPlacedOrderIsConfirmedByItsJob() {
        long id = orders.place("ada", 1250);

        kit.drain();

        kit.assertNoFailedJobs();
        assertThat(jdbc.queryForObject("select confirmed_at is not null from orders where id = ?", Boolean.class, id))
                .isTrue();
    }

    @Test
    void theDailySummaryScheduleComesFromTheProperties() {
        ScheduleInfo summary = jobs.schedules().get("daily-summary").orElseThrow();
        assertThat(summary.expression()).isEqualTo("0 18 * * *");
        assertThat(summary.timeZone()).hasToString("Europe/Berlin");

        long jobId = jobs.schedules().triggerNow("daily-summary").orElseThrow();
        kit.drain();

        assertThat(jobs.get(jobId).orElseThrow().state()).isEqualTo(JobState.COMPLETED);
    }
}
