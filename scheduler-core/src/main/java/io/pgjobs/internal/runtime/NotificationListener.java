package io.pgjobs.internal.runtime;

import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.internal.store.NotificationStore;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Keeps a subscription to one of pgjobs' notification channels and hands each payload on: the node's listener
 * on the main channel, and a client's on the results channel (for {@code awaitResult}). Notifications only make
 * things faster: when the connection dies (a restart, a terminated backend, a PgBouncer in transaction mode)
 * the loop reconnects by itself, and meanwhile polling keeps everything going. After each (re)connect
 * {@code onConnected} runs, since notifications sent while disconnected are lost.
 */
public final class NotificationListener extends BackgroundLoop {
    private static final int RECEIVE_TIMEOUT_MS = 500;

    private final NotificationStore notifications;
    private final Consumer<String> onPayload;
    private final Runnable onConnected;
    private NotificationStore.Subscription subscription;

    public NotificationListener(String name, NotificationStore notifications, Consumer<String> onPayload,
                                Runnable onConnected) {
        super(name);
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
