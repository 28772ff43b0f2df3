package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CheckpointTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.export")
    record Export(int pages) {}

    record Cursor(int page) {}

    private Scheduler start(JobHandler<Export> handler) {
        return schedulers.start(Scheduler.builder(db.dataSource()).queue("default", 2)
                .retryPolicy(attempt -> Duration.ZERO).handler(Export.class, handler));
    }

    private Job awaitState(Scheduler scheduler, long id, JobState state) throws Exception {
        Await.until(Duration.ofSeconds(30), "job " + id + " " + state,
                () -> scheduler.client().get(id).orElseThrow().state() == state);
        return scheduler.client().get(id).orElseThrow();
    }

    @Test
    void progressAndCheckpointShowThroughTheClientAndTheAdminApiWhileTheJobRuns() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Scheduler scheduler = start(ctx -> {
            ctx.checkpoint(new Cursor(7));
            ctx.progress(30, "page 7 of 20");
            release.await(30, TimeUnit.SECONDS);
            return null;
        });
        long id = scheduler.client().enqueue(new Export(20)).id();
        Await.until(Duration.ofSeconds(30), "progress saved",
                () -> scheduler.client().get(id).orElseThrow().progress() != null);

        Job running = scheduler.client().get(id).orElseThrow();
        assertThat(running.state()).isEqualTo(JobState.RUNNING);
        assertThat(running.progress()).isEqualTo(30);
        assertThat(running.progressMessage()).isEqualTo("page 7 of 20");
        assertThat(running.checkpoint()).isEqualTo("{\"page\": 7}");
        assertThat(scheduler.admin().job(id).orElseThrow()).isEqualTo(running);
        release.countDown();
        Job done = awaitState(scheduler, id, JobState.COMPLETED);
        assertThat(done.progress()).as("the last progress stays with the finished job").isEqualTo(30);
    }

    @Test
    void aRetriedAttemptStartsFromTheLastCheckpoint() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        Scheduler scheduler = start(ctx -> {
            Cursor from = ctx.checkpointAs(Cursor.class).orElse(new Cursor(0));
            seen.add(ctx.attempt() + ": from page " + from.page());
            for (int page = from.page(); page < ctx.args().pages(); page++) {
                if (ctx.attempt() == 1 && page == 3) {
                    throw new IllegalStateException("the export service went away on page 3");
                }
                ctx.checkpoint(new Cursor(page + 1));
                assertThat(ctx.checkpointAs(Cursor.class)).contains(new Cursor(page + 1));
            }
            return null;
        });
        long id = scheduler.client().enqueue(new Export(5)).id();
        Job done = awaitState(scheduler, id, JobState.COMPLETED);

        assertThat(seen).containsExactly("1: from page 0", "2: from page 3");
        assertThat(done.checkpoint()).isEqualTo("{\"page\": 5}");
    }

    @Test
    void badValuesAreRejectedByNameAndWriteNothing() throws Exception {
        List<String> errors = new CopyOnWriteArrayList<>();
        Scheduler scheduler = start(ctx -> {
            for (Runnable bad : List.<Runnable>of(() -> ctx.progress(101, null), () -> ctx.progress(-1, "x"),
                    () -> ctx.progress(5, "m".repeat(1_001)), () -> ctx.checkpoint(null))) {
                try {
                    bad.run();
                } catch (IllegalArgumentException e) {
                    errors.add(e.getMessage());
                }
            }
            return null;
        });
        long id = scheduler.client().enqueue(new Export(1)).id();
        Job done = awaitState(scheduler, id, JobState.COMPLETED);

        assertThat(errors).containsExactly("progress: percent 101 is out of range 0..100",
                "progress: percent -1 is out of range 0..100",
                "progress: message is 1001 characters, over the limit of 1000", "checkpoint: must not be null");
        assertThat(done.progress()).isNull();
        assertThat(done.checkpoint()).isNull();
    }

    @Test
    void anAttemptThatNoLongerOwnsItsJobCannotSave() throws Exception {
        CountDownLatch taken = new CountDownLatch(1);
        List<String> errors = new CopyOnWriteArrayList<>();
        Scheduler scheduler = start(ctx -> {
            taken.await(30, TimeUnit.SECONDS);
            try {
                ctx.checkpoint(new Cursor(1));
            } catch (PgJobsException e) {
                errors.add(e.getMessage());
            }
            try {
                ctx.progress(10, null);
            } catch (PgJobsException e) {
                errors.add(e.getMessage());
            }
            return null;
        });
        long id = scheduler.client().enqueue(new Export(1)).id();
        awaitState(scheduler, id, JobState.RUNNING);
        // as if a rescuer had handed the job to another node meanwhile
        db.execute("update pgjobs.jobs set node_id = 'another-node' where id = " + id);
        taken.countDown();
        Await.until(Duration.ofSeconds(30), "both saves refused", () -> errors.size() == 2);

        assertThat(errors).allSatisfy(message -> assertThat(message)
                .contains("of job " + id + ": it is no longer running as attempt 1 on node "));
        Job job = scheduler.client().get(id).orElseThrow();
        assertThat(job.checkpoint()).isNull();
        assertThat(job.progress()).isNull();
    }
}
