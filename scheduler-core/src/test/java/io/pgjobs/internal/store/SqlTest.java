package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The limits the chores and the dashboard's reads run under hold for their transaction and go with it. */
class SqlTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @Test
    void aLimitedTransactionHasTheTimeoutAndNoJitAndLeavesTheSessionAsItWas() throws Exception {
        try (Connection c = db.connect()) {
            String jitBefore = setting(c, "jit");
            String timeoutBefore = setting(c, "statement_timeout");
            c.setAutoCommit(false);

            Sql.limitTransaction(c, Duration.ofMillis(200));

            assertThat(setting(c, "jit")).isEqualTo("off");
            assertThat(setting(c, "statement_timeout")).isEqualTo("200ms");
            assertThatThrownBy(() -> firstValue(c, "select pg_sleep(1)::text"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("statement timeout");
            c.rollback();
            assertThat(setting(c, "jit")).isEqualTo(jitBefore);
            assertThat(setting(c, "statement_timeout")).isEqualTo(timeoutBefore);
        }
    }

    private static String setting(Connection c, String name) throws SQLException {
        return firstValue(c, "select current_setting('" + name + "')");
    }

    private static String firstValue(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }
}
