package io.pgjobs.test.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobAttempt;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.Schedule;
import io.pgjobs.test.PgJobsExtension;
import io.pgjobs.test.PgJobsTestKit;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** docs/testing.md's schedule example, run as the test it is (TestingDocSnippetsTest checks the page shows it). */
// snippet docs/testing.md#3
@JobKind("reports.hourly")
record HourlyReport() {}

class ReportsTest {
    static final List<Object> reported = new CopyOnWriteArrayList<>();

    @RegisterExtension
    static final PgJobsExtension pgjobs = PgJobsExtension.embedded()
            .scheduler(builder -> builder.queue("default", 2)
                    .handler(HourlyReport.class, ctx -> reported.add(ctx.metadata().get("pgjobs.fire_time")))
                    .schedule(Schedule.of("hourly-report", "0 * * * *", JobRequest.of(new HourlyReport()))));

    @BeforeEach
    void forget() {
        reported.clear();
    }

    @Test
    void aReportIsMadeEveryHour(PgJobsTestKit kit) {
        kit.advanceTime(Duration.ofHours(3));   // the schedule fires at each of the three hours, on time
        kit.drain();
        assertThat(reported).hasSize(3);
    }

    @Test
    void aReportRunsInTheTestsThread(PgJobsTestKit kit) {
        long id = kit.client().schedules().triggerNow("hourly-report").orElseThrow();

        JobAttempt attempt = kit.runJob(id);    // that job's handler, now, in this thread
        assertThat(attempt.outcome()).isEqualTo(JobAttempt.Outcome.COMPLETED);
        assertThat(reported).hasSize(1);
    }
}
// end snippet
