package io.pgjobs.internal.store;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.Set;

/** Tells an error of a database that is away (for now) from every other error, through its causes. */
public final class ConnectionErrors {
    /**
     * Server states that mean "try again": an administrator or a crash ended the session, the server is starting
     * or stopping, it has no connection slot free right now, or it ended a session that paused too long inside a
     * transaction (pgjobs bounds its transactions' pauses: a JVM that has just started, loading classes on a busy
     * machine, can pause that long once) or while idle. Class 08 (connection exceptions) is matched whole.
     */
    private static final Set<String> TRANSIENT_STATES = Set.of("57P01", "57P02", "57P03", "53300", "25P03", "57P05");

    /**
     * What every call on a connection HikariCP closed says, without an SQL state. The pool closes a connection it
     * found broken (a restarting server ended it) under whoever holds it, so the holder's next call fails with this
     * instead of the error that broke it: a start whose Flyway held the connection failed on it.
     */
    private static final String HIKARI_CLOSED = "Connection is closed";

    /**
     * Whether anything in {@code e}'s causes says the connection was refused, lost or closed under it, or the
     * pool had none to give in time.
     */
    public static boolean isConnectionError(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof SQLTransientException || cause instanceof IOException) {
                return true;
            }
            if (cause instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || TRANSIENT_STATES.contains(sql.getSQLState()))) {
                return true;
            }
            if (cause instanceof SQLException sql && sql.getSQLState() == null && HIKARI_CLOSED.equals(sql.getMessage())) {
                return true;
            }
        }
        return false;
    }

    private ConnectionErrors() {}
}
