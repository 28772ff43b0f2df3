package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.EnqueueResult;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.ScheduleInfo;
import io.pgjobs.spring.boot.TestApplication.Greet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Without queues the application only enqueues: the schema is migrated and the schedules from the properties are
 * stored, but no node joins the cluster. pgjobs migrates its own schema with its own history table beside the
 * application's Flyway, which migrated {@code public} (the orders table) with its default one.
 */
@ExtendWith(TestDatabase.class)
@SpringBootTest(classes = TestApplication.class, properties = {
        "pgjobs.schema=pgjobs_client",
        "pgjobs.schedules.nightly-report.cron=0 3 * * *",
        "pgjobs.schedules.nightly-report.kind=greet",
        "pgjobs.schedules.nightly-report.args.name=night shift",
        "pgjobs.schedules.nightly-report.time-zone=Europe/Berlin"})
@DirtiesContext
class ClientOnlyTest {
    @DynamicPropertySource
    static void dataSource(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry);
    }

    @Autowired JobClient jobClient;

    @Test
    void enqueuesWithoutJoiningTheCluster() {
        EnqueueResult result = jobClient.enqueue(JobRequest.of(new Greet("Ada")));

        assertThat(jobClient.get(result.id()).orElseThrow().state()).isEqualTo(JobState.AVAILABLE);
        assertThat(TestDatabase.queryLong("select count(*) from pgjobs_client.nodes")).isZero();
    }

    @Test
    void storesTheSchedulesFromTheProperties() {
        ScheduleInfo nightly = jobClient.schedules().get("nightly-report").orElseThrow();

        assertThat(nightly.expression()).isEqualTo("0 3 * * *");
        assertThat(nightly.kind()).isEqualTo("greet");
        assertThat(nightly.timeZone()).hasToString("Europe/Berlin");
    }

    @Test
    void pgjobsKeepsItsMigrationHistoryApartFromTheApplications() {
        assertThat(TestDatabase.queryLong("select count(*) from public.flyway_schema_history where success"))
                .as("the application's history holds its own migration only").isOne();
        assertThat(TestDatabase.queryLong("select count(*) from public.flyway_schema_history where script like '%claim_jobs%'"))
                .isZero();
        assertThat(TestDatabase.queryLong(
                "select count(*) from pgjobs_client.pgjobs_schema_history where script = 'V11__claim_jobs_plpgsql.sql' and success"))
                .isOne();
    }
}
