package io.pgjobs.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgjobs.PgJobsException;
import io.pgjobs.internal.store.ConnectionErrors;
import io.pgjobs.testing.PgDatabase;
import java.io.EOFException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Which errors a start rides out (the database being away) and which end it at once (everything else). */
class StartRetryTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @Test
    void connectionErrorsAreToldFromOthersThroughTheirCauses() {
        assertThat(ConnectionErrors.isConnectionError(wrapped(new SQLException("closed", "08003")))).isTrue();
        assertThat(ConnectionErrors.isConnectionError(wrapped(new SQLException("I/O error", "08006", new EOFException()))))
                .isTrue();
        assertThat(ConnectionErrors.isConnectionError(wrapped(new SQLException("admin shutdown", "57P01")))).isTrue();
        assertThat(ConnectionErrors.isConnectionError(wrapped(new SQLException("starting up", "57P03")))).isTrue();
        assertThat(ConnectionErrors.isConnectionError(wrapped(new SQLException(
                "FATAL: terminating connection due to idle-in-transaction timeout", "25P03")))).isTrue();
        assertThat(ConnectionErrors.isConnectionError(wrapped(new SQLTransientConnectionException("pool timed out"))))
                .isTrue();
        assertThat(ConnectionErrors.isConnectionError(wrapped(new SQLException("no such table", "42P01")))).isFalse();
        assertThat(ConnectionErrors.isConnectionError(wrapped(new SQLException("permission denied", "42501")))).isFalse();
        assertThat(ConnectionErrors.isConnectionError(new IllegalArgumentException("bad schedule"))).isFalse();
    }

    /**
     * HikariCP hands a connection it closed (or found broken, after a restarting server ended it) a stand-in whose
     * every call fails with a plain {@code SQLException} without an SQL state: a start whose Flyway meets it must
     * ride it out as it does the error before it.
     */
    @Test
    void aConnectionThatHikariClosedIsAConnectionError() throws Exception {
        Connection connection = db.dataSource().getConnection();
        connection.close();
        SQLException error = catchThrowableOfType(SQLException.class, connection::getMetaData);
        assertThat(error.getMessage()).as("Hikari's closed connection's error").isEqualTo("Connection is closed");
        assertThat(error.getSQLState()).as("its SQL state").isNull();
        assertThat(ConnectionErrors.isConnectionError(wrapped(error))).isTrue();
    }

    @Test
    void anErrorThatIsNotAboutTheConnectionEndsTheStartAtOnce() {
        AtomicInteger tries = new AtomicInteger();
        RuntimeException denied = wrapped(new SQLException("permission denied for schema pgjobs", "42501"));
        assertThatThrownBy(() -> StartRetry.until(Duration.ofMinutes(1), () -> {
            tries.incrementAndGet();
            throw denied;
        })).isSameAs(denied);
        assertThat(tries).hasValue(1);
    }

    @Test
    void aConnectionErrorIsTriedAgainUntilTheStepSucceeds() {
        AtomicInteger tries = new AtomicInteger();
        StartRetry.until(Duration.ofMinutes(1), () -> {
            if (tries.incrementAndGet() < 3) {
                throw wrapped(new SQLException("Connection is closed", "08003"));
            }
        });
        assertThat(tries).hasValue(3);
    }

    private static RuntimeException wrapped(Throwable cause) {
        return new PgJobsException("pgjobs could not save schedules [tick]: " + cause.getMessage(), cause);
    }
}
