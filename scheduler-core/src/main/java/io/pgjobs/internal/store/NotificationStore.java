package io.pgjobs.internal.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pgjobs' notification channel, one per schema: the payloads are {@code q:<queue>} (runnable jobs), {@code
 * c:<job id>} (a cancel request) and {@code s:} (a schedule changed), sent by the other stores with
 * {@code pg_notify} at commit. {@link #listen()} holds a connection of its own that LISTENs on the channel.
 */
public final class NotificationStore {
    private static final Logger log = LoggerFactory.getLogger(NotificationStore.class);

    private final DataSource dataSource;
    private final String channel;

    public NotificationStore(DataSource dataSource, String channel) {
        this.dataSource = dataSource;
        this.channel = channel;
    }

    /** Borrows a connection and LISTENs on it until the returned subscription is closed. */
    public Subscription listen() throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            connection.setAutoCommit(true);
            PGConnection pgConnection = connection.unwrap(PGConnection.class);
            PendingMessageCheck.skip(connection);
            try (Statement statement = connection.createStatement()) {
                statement.execute("LISTEN \"" + channel + "\"");
            }
            log.debug("listening on {}", channel);
            return new Subscription(connection, pgConnection);
        } catch (SQLException | RuntimeException e) {
            new Subscription(connection, null).close();
            throw e;
        }
    }

    /** A connection that listens on the channel; one thread uses it. */
    public static final class Subscription implements AutoCloseable {
        private final Connection connection;
        private final PGConnection pgConnection;

        private Subscription(Connection connection, PGConnection pgConnection) {
            this.connection = connection;
            this.pgConnection = pgConnection;
        }

        /** The payloads that arrived, waiting up to {@code timeoutMs} for the first; empty if none came. */
        public List<String> receive(int timeoutMs) throws SQLException {
            PGNotification[] notifications = pgConnection.getNotifications(timeoutMs);
            if (notifications == null) {
                return List.of();
            }
            List<String> payloads = new ArrayList<>(notifications.length);
            for (PGNotification notification : notifications) {
                payloads.add(notification.getParameter());
            }
            return payloads;
        }

        /**
         * Gives the connection back to its pool. It stops listening first: a pooled connection that still
         * listens would collect notifications for whoever borrows it next (a stop or an error can end a round at
         * any point); and it gets PgJDBC's pending-message check back.
         */
        @Override
        public void close() {
            try (Statement statement = connection.createStatement()) {
                statement.execute("UNLISTEN *");
            } catch (SQLException e) {
                log.debug("UNLISTEN failed (the connection may be broken): {}", e.toString());
            }
            PendingMessageCheck.restore(connection);
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("closing the broken listener connection failed too: {}", e.toString());
            }
        }
    }
}
