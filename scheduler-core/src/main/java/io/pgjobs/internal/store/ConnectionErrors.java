package io.pgjobs.internal.store;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.Set;

/** Tells an error of a database that is away (for now) from every other error, through its causes. */
public final class ConnectionErrors {
    /**
     * Server states that mean "try again": an administrator or a crash ended the session, the server is starting
     * or stopping, or it has no connection slot free right now. Class 08 (connection exceptions) is matched whole.
     */
    private static final Set<String> TRANSIENT_STATES = Set.of("57P01", "57P02", "57P03", "53300");

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
        }
        return false;
    }

    private ConnectionErrors() {}
}
