package io.pgjobs.internal.runtime;

import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.store.NotificationStore;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Keeps a subscription to pgjobs' notification channel and hands each payload on. Notifications only make
 * things faster: when the connection dies (a restart, a terminated backend, a PgBouncer in transaction mode)
 * the loop reconnects by itself, and meanwhile polling keeps every queue going. After each (re)connect
 * {@code onConnected} runs, since notifications sent while disconnected are lost.
 */
final class NotificationListener extends BackgroundLoop {
    private static final int RECEIVE_TIMEOUT_MS = 500;

    private final NotificationStore notifications;
    private final Consumer<String> onPayload;
    private final Runnable onConnected;
    private NotificationStore.Subscription subscription;

    NotificationListener(NotificationStore notifications, Consumer<String> onPayload, Runnable onConnected) {
        super("pgjobs-listener");
        this.notifications = notifications;
        this.onPayload = onPayload;
        this.onConnected = onConnected;
    }

    @Override
    protected Duration runOnce() throws SQLException {
        try {
            if (subscription == null) {
                subscription = notifications.listen();
                onConnected.run();
            }
            subscription.receive(RECEIVE_TIMEOUT_MS).forEach(onPayload);
            return Duration.ZERO;
        } catch (SQLException | RuntimeException e) {
            disconnect();
            throw e;
        }
    }

    private void disconnect() {
        if (subscription != null) {
            subscription.close();
            subscription = null;
        }
    }

    @Override
    protected void afterLastRound() {
        disconnect();
    }
}
