package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.PgDatabase;
import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.PGStream;
import org.postgresql.core.QueryExecutorBase;

/**
 * The listener skips PgJDBC's pending-message check (a read with a 1 ms timeout after every notification)
 * without losing a notification, and gives the check back with the connection. What the skip saves is time,
 * measured by the benchmark's latency workload, not here.
 */
class PendingMessageCheckTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @Test
    void theCheckIsSkippedOnAPooledConnectionAndPutBackBeforeItGoesBack() throws Exception {
        try (Connection listener = db.dataSource().getConnection()) {
            assertThat(PendingMessageCheck.skip(listener)).as("skipped on the driver pgjobs ships with").isTrue();
            assertThat(nextCheck(listener)).isEqualTo(Long.MAX_VALUE);
            PendingMessageCheck.restore(listener);
            assertThat(nextCheck(listener)).isZero();
        }
    }

    @Test
    void aNotificationThatHasArrivedIsFoundByACallThatDoesNotWait() throws Exception {
        try (Connection listener = db.connect(); Connection sender = db.connect()) {
            listen(listener);
            PendingMessageCheck.skip(listener);
            notify(sender, "first");
            // Only calls that do not wait: with the check skipped, they see what has reached the socket or
            // nothing, so if they ignored the socket this would never find it.
            PGConnection pg = listener.unwrap(PGConnection.class);
            List<String> received = new ArrayList<>();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (received.isEmpty() && System.nanoTime() < deadline) {
                received.addAll(payloads(pg.getNotifications()));
            }
            assertThat(received).containsExactly("first");
        }
    }

    @Test
    void everyNotificationOfABurstArrivesWithTheCheckSkipped() throws Exception {
        try (Connection listener = db.connect(); Connection sender = db.connect()) {
            listen(listener);
            PGConnection pg = listener.unwrap(PGConnection.class);
            assertThat(PendingMessageCheck.skip(listener)).isTrue();
            List<String> expected = new ArrayList<>();
            Thread burst = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        notify(sender, "n" + i);
                        if (i % 50 == 0) {
                            Thread.sleep(20); // some arrive while the listener waits, some while it reads
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            for (int i = 0; i < 300; i++) {
                expected.add("n" + i);
            }
            List<String> received = new ArrayList<>();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (received.size() < expected.size() && System.nanoTime() < deadline) {
                received.addAll(payloads(pg.getNotifications(500)));
            }
            burst.join();
            assertThat(received).containsExactlyElementsOf(expected);
        }
    }

    /** PgJDBC's time of the next check, read the way PendingMessageCheck writes it. */
    private static long nextCheck(Connection connection) throws Exception {
        Object executor = connection.unwrap(BaseConnection.class).getQueryExecutor();
        Field streamField = QueryExecutorBase.class.getDeclaredField("pgStream");
        streamField.setAccessible(true);
        Field nextCheck = PGStream.class.getDeclaredField("nextStreamAvailableCheckTime");
        nextCheck.setAccessible(true);
        return nextCheck.getLong(streamField.get(executor));
    }

    private static void listen(Connection connection) throws Exception {
        try (Statement statement = connection.createStatement()) {
            statement.execute("LISTEN pending_check");
        }
    }

    private static void notify(Connection connection, String payload) throws Exception {
        try (Statement statement = connection.createStatement()) {
            statement.execute("NOTIFY pending_check, '" + payload + "'");
        }
    }

    private static List<String> payloads(PGNotification[] notifications) {
        List<String> payloads = new ArrayList<>();
        if (notifications != null) {
            for (PGNotification notification : notifications) {
                payloads.add(notification.getParameter());
            }
        }
        return payloads;
    }
}
