package io.pgjobs.internal.store;

import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.PGStream;
import org.postgresql.core.QueryExecutorBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns off, on the listener's connection, the check that made every notification arrive a millisecond late.
 *
 * <p>After each notification PgJDBC's {@code getNotifications} asks whether more messages are already waiting,
 * by reading with a socket timeout of 1 ms. It means to do that at most once a second, but when the read times
 * out (nothing more came, the usual case) it returns before noting when it checked (PgJDBC 42.7), so every
 * notification waits out the timeout before the call returns, a third of a new job's start latency
 * (docs/performance.md, "Wake").
 * Skipping it loses nothing: what has reached the socket is still seen (PgJDBC counts those bytes before it
 * reads), and a message still on its way is read by the next call, which waits for it anyway. PgJDBC has no
 * setting for it, so this sets the time of its next check far into the future; with another driver, or other
 * internals, it does nothing and notifications come a millisecond later.
 */
final class PendingMessageCheck {
    private static final Logger log = LoggerFactory.getLogger(PendingMessageCheck.class);

    private PendingMessageCheck() {}

    /** Skips the check on {@code connection}; whether that worked. */
    static boolean skip(Connection connection) {
        return setNextCheck(connection, Long.MAX_VALUE);
    }

    /** Puts the check back before the connection returns to its pool, where others may LISTEN on it. */
    static void restore(Connection connection) {
        setNextCheck(connection, 0);
    }

    private static boolean setNextCheck(Connection connection, long millis) {
        try {
            Object executor = connection.unwrap(BaseConnection.class).getQueryExecutor();
            Field streamField = QueryExecutorBase.class.getDeclaredField("pgStream");
            streamField.setAccessible(true);
            Field nextCheck = PGStream.class.getDeclaredField("nextStreamAvailableCheckTime");
            nextCheck.setAccessible(true);
            nextCheck.setLong(streamField.get(executor), millis);
            return true;
        } catch (SQLException | ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.debug("PgJDBC's pending-message check left as it is (with it, notifications arrive a millisecond "
                    + "later): {}", e.toString());
            return false;
        }
    }
}
