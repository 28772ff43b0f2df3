package io.pgjobs.internal.runtime;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Holds one connection that LISTENs on one of pgjobs' channels and hands each payload on. Notifications only make
 * things faster: when the connection dies (a restart, a terminated backend, a PgBouncer in transaction mode)
 * the loop reconnects by itself, and meanwhile polling keeps every queue going. After each (re)connect
 * {@code onConnected} runs, since notifications sent while disconnected are lost.
 */
final class NotificationListener extends BackgroundLoop {
    private static final int RECEIVE_TIMEOUT_MS = 500;

    private final DataSource dataSource;
    private final String channel;
    private final Consumer<String> onPayload;
    private final Runnable onConnected;
    private Connection connection;
    private PGConnection pgConnection;

    NotificationListener(String name, DataSource dataSource, String channel, Consumer<String> onPayload,
                         Runnable onConnected) {
        super(name);
        this.dataSource = dataSource;
        this.channel = channel;
        this.onPayload = onPayload;
        this.onConnected = onConnected;
    }

    @Override
    protected Duration runOnce() throws SQLException {
        try {
            if (connection == null) {
                connect();
            }
            PGNotification[] notifications = pgConnection.getNotifications(RECEIVE_TIMEOUT_MS);
            if (notifications != null) {
                for (PGNotification notification : notifications) {
                    onPayload.accept(notification.getParameter());
                }
            }
            return Duration.ZERO;
        } catch (SQLException | RuntimeException e) {
            disconnect();
            throw e;
        }
    }

    private void connect() throws SQLException {
        connection = dataSource.getConnection();
        connection.setAutoCommit(true);
        pgConnection = connection.unwrap(PGConnection.class);
        PendingMessageCheck.skip(connection);
        try (Statement statement = connection.createStatement()) {
            statement.execute("LISTEN \"" + channel + "\"");
        }
        log.debug("listening on {}", channel);
        onConnected.run();
    }

    /**
     * Gives the connection back to its pool. It stops listening first: a pooled connection that still listens
     * would collect notifications for whoever borrows it next (a stop or an error can end a round at any point);
     * and it gets PgJDBC's pending-message check back.
     */
    private void disconnect() {
        if (connection == null) {
            return;
        }
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
        connection = null;
        pgConnection = null;
    }

    @Override
    protected void afterLastRound() {
        disconnect();
    }
}
