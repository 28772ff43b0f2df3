package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.EnqueueResult;
import io.pgjobs.JobClient;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.spring.boot.TestApplication.ConfirmOrder;
import io.pgjobs.spring.boot.TestApplication.Greet;
import io.pgjobs.spring.boot.TestHandlers.ConfirmOrderHandler;
import io.pgjobs.testing.Await;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Inside a Spring-managed transaction the job is written on the transaction's connection: it rolls back with the
 * business row, and the commit's notification wakes a worker (the poll interval is an hour, so only the
 * notification can). The orders table comes from the application's own Flyway migration.
 */
@ExtendWith(TestDatabase.class)
@SpringBootTest(classes = {TestApplication.class, TestHandlers.class}, properties = {
        "pgjobs.queues.default=2",
        "pgjobs.poll-interval=1h",
        "pgjobs.shutdown-deadline=5s"})
@DirtiesContext
class TransactionTest {
    @DynamicPropertySource
    static void dataSource(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry);
    }

    @Autowired JobClient jobClient;
    @Autowired TransactionTemplate transaction;
    @Autowired JdbcTemplate jdbc;
    @Autowired ConfirmOrderHandler handler;
    @Autowired BlockingQueue<String> greeted;

    @Test
    void aRollbackLeavesNeitherTheOrderNorItsJob() {
        long[] jobId = new long[1];
        assertThatThrownBy(() -> transaction.executeWithoutResult(status -> {
            jdbc.update("insert into orders (id) values (1)");
            jobId[0] = jobClient.enqueue(JobRequest.of(new ConfirmOrder(1))).id();
            throw new IllegalStateException("payment declined");
        })).hasMessage("payment declined");

        assertThat(TestDatabase.queryLong("select count(*) from orders where id = 1")).isZero();
        assertThat(jobClient.get(jobId[0])).isEmpty();
    }

    @Test
    void aCommitWritesBothAndItsNotificationWakesAWorker() throws Exception {
        EnqueueResult result = transaction.execute(status -> {
            jdbc.update("insert into orders (id) values (2)");
            EnqueueResult enqueued = jobClient.enqueue(JobRequest.of(new ConfirmOrder(2)));
            assertThat(countJobFromOutside(enqueued.id())).as("uncommitted, the job is not seen outside").isZero();
            return enqueued;
        });

        assertThat(handler.confirmed.poll(60, TimeUnit.SECONDS)).isEqualTo(2L);
        assertThat(TestDatabase.queryLong("select count(*) from orders where id = 2")).isOne();
        Await.until(Duration.ofSeconds(60), "the job is completed",
                () -> jobClient.get(result.id()).orElseThrow().state() == JobState.COMPLETED);
    }

    @Test
    void aHandlerBeanMayEnqueueThroughTheJobClient() throws Exception {
        jobClient.enqueue(new Greet("Ada"));

        assertThat(greeted.poll(60, TimeUnit.SECONDS)).isEqualTo("Ada");
        assertThat(greeted.poll(60, TimeUnit.SECONDS)).isEqualTo("Ada's friend");
    }

    @Test
    void outsideATransactionAnEnqueueCommitsAtOnce() {
        EnqueueResult result = jobClient.enqueue(JobRequest.of(new ConfirmOrder(3)).delay(Duration.ofHours(1)));

        assertThat(countJobFromOutside(result.id())).isOne();
    }

    private static long countJobFromOutside(long id) {
        return TestDatabase.queryLong("select count(*) from pgjobs.jobs where id = " + id);
    }
}
