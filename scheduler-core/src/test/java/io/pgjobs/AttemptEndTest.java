package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An attempt ends when its handler returned (database time), however late its completion is written. */
class AttemptEndTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.quick")
    record Quick(int n) {}

    @Test
    void aCompletionWrittenLateKeepsTheTimeTheHandlerReturned() throws Exception {
        CountDownLatch written = new CountDownLatch(1);
        AtomicBoolean completerWaits = new AtomicBoolean();
        // the completer's connection is held back until the test has read the database's clock
        DataSource gated = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")
                            && Thread.currentThread().getName().equals("pgjobs-completer")) {
                        completerWaits.set(true);
                        written.await();
                    }
                    try {
                        return method.invoke(db.dataSource(), args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Scheduler scheduler = schedulers.start(Scheduler.builder(gated).queue("default", 1)
                .handler(Quick.class, ctx -> null));
        long id = scheduler.client().enqueue(new Quick(1)).id();
        Await.until(Duration.ofSeconds(30), "the completer waits to write the completion", completerWaits::get);
        long beforeWritten = db.queryLong("select (extract(epoch from clock_timestamp()) * 1000000)::bigint");
        written.countDown();
        Await.until(Duration.ofSeconds(30), "the job completed",
                () -> scheduler.client().get(id).orElseThrow().state() == JobState.COMPLETED);

        assertThat(db.queryLong("select count(*) from pgjobs.attempts where job_id = " + id
                + " and finished_at >= started_at and (extract(epoch from finished_at) * 1000000)::bigint < "
                + beforeWritten)).as("the attempt ended before its completion was written").isOne();
        assertThat(db.queryLong("select count(*) from pgjobs.jobs j join pgjobs.attempts a on a.job_id = j.id"
                + " where j.id = " + id + " and j.finished_at = a.finished_at")).isOne();
    }
}
