package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.testing.PgDatabase;
import io.pgjobs.testing.Schedulers;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A process that only enqueues, and one that migrates before it starts. */
class ClientOnlyTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();
    @RegisterExtension
    final Schedulers schedulers = new Schedulers(db);

    @JobKind("test.client")
    record Greet(String name) {}

    /** The test's pool, counting the connections Flyway borrows from it. */
    private final AtomicInteger flywayConnections = new AtomicInteger();
    private final DataSource counting = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                if (method.getName().equals("getConnection") && StackWalker.getInstance().walk(frames -> frames
                        .anyMatch(f -> f.getClassName().startsWith("org.flywaydb.")))) {
                    flywayConnections.incrementAndGet();
                }
                try {
                    return method.invoke(db.dataSource(), args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });

    @Test
    void aClientMigratesOnceAndEnqueuesWithoutRunningAnything() throws Exception {
        JobClient client = Scheduler.builder(counting).buildClient();
        assertThat(flywayConnections.get()).as("the client applied the migrations").isPositive();
        int migrations = flywayConnections.get();

        long id = client.enqueue(new Greet("ada")).id();

        assertThat(client.get(id)).map(Job::state).contains(JobState.AVAILABLE);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("pgjobs-fetch"));
        Scheduler.builder(counting).buildClient();
        assertThat(flywayConnections.get()).as("a second client in the process does not migrate again")
                .isEqualTo(migrations);
    }

    @Test
    void aClientWithQueuesHandlersOrSchedulesIsAnError() {
        assertThatThrownBy(() -> Scheduler.builder(db.dataSource()).queue("default", 1).buildClient())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("buildClient")
                .hasMessageContaining("queues, handlers or schedules");
        assertThatThrownBy(() -> Scheduler.builder(db.dataSource()).queue("default", 1)
                .handler(Greet.class, ctx -> null).buildClient())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aClientWithoutMigrationsLeavesTheSchemaAlone() {
        Scheduler.builder(counting).migrateOnStart(false).buildClient();
        assertThat(flywayConnections.get()).isZero();
    }

    @Test
    void migrateTwiceThenStartChecksTheSchemaOnce() {
        Scheduler scheduler = schedulers.build(Scheduler.builder(counting).queue("default", 1)
                .handler(Greet.class, ctx -> null));
        scheduler.migrate();
        int migrations = flywayConnections.get();
        assertThat(migrations).isPositive();

        scheduler.migrate();
        scheduler.start();

        assertThat(flywayConnections.get()).isEqualTo(migrations);
    }
}
