package io.pgjobs.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.JobKind;
import io.pgjobs.JobState;
import io.pgjobs.Scheduler;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A kit on a scheduler the test built itself, as in a Spring application; the extension's own only enqueues. */
class WrappedSchedulerTest {
    @JobKind("test.note")
    record Note(String text) {}

    @RegisterExtension
    static final PgJobsExtension pgjobs = PgJobsExtension.embedded();

    @Test
    void aClientOnlySchedulerCannotDrain(PgJobsTestKit kit) {
        kit.client().enqueue(new Note("waits"));

        assertThatThrownBy(kit::drain).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("works no queue");
        kit.assertEnqueued(Note.class, note -> note.text().equals("waits"));
    }

    @Test
    void aKitOnAStartedSchedulerDrainsItAndCanHoldItsJobs(PgJobsTestKit clientKit) {
        Queue<String> noted = new ConcurrentLinkedQueue<>();
        try (Scheduler own = Scheduler.builder(clientKit.dataSource()).queue("default", 1)
                .pollInterval(Duration.ofMillis(50)).handler(Note.class, ctx -> noted.add(ctx.args().text()))
                .build()) {
            own.start();
            PgJobsTestKit kit = PgJobsTestKit.of(own, clientKit.dataSource(), "pgjobs");

            kit.client().enqueue(new Note("runs at once"));
            kit.drain();
            assertThat(noted).containsExactly("runs at once");

            kit.holdJobs();
            kit.client().enqueue(new Note("held"));
            kit.assertEnqueued(Note.class, note -> note.text().equals("held"));
            kit.drain();
            assertThat(noted).containsExactly("runs at once", "held");
            kit.assertCount(JobState.COMPLETED, 2);
        }
    }
}
