package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * V42 on a database where a partition of more than 1,500 bytes that still fit its indexes is in use (a rolling
 * deploy: nodes of the previous release claimed under it): its running job, its rate and its circuit move to the
 * digest the claims compute from then on, the count with the job, so the limit counts the partition's running
 * jobs exactly across the deploy.
 */
class LongPartitionUpgradeTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @Test
    void theMigrationRenamesWhatWasKeptUnderALongValueToItsDigest() throws Exception {
        String database = "pgjobs_long_partition_" + ProcessHandle.current().pid();
        String url = db.emptyDatabase(database);
        Random random = new Random(7);
        StringBuilder value = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            value.append((char) ('a' + random.nextInt(26)));
        }
        String longValue = value.toString();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            MigrationRulesTest.migrate(url, 39);
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into pgjobs.jobs (kind, queue, state, attempt, node_id, started_at, lease_expires_at,
                                             flow_partition)
                    values ('k', 'limited', 'running', 1, 'old', now(), now() + interval '1 minute', ?),
                           ('k', 'limited', 'running', 1, 'old', now(), now() + interval '1 minute', 'short');
                    insert into pgjobs.rate_limits (queue, partition, tat) values ('limited', ?, now());
                    insert into pgjobs.partition_circuits (kind, partition, state, opened_at, retry_at)
                    values ('k', ?, 'open', now(), now() + interval '1 hour')""")) {
                ps.setString(1, longValue);
                ps.setString(2, longValue);
                ps.setString(3, longValue);
                ps.execute();
            }
            assertThat(rows(c, "select queue || '/' || left(partition, 10) || '=' || running from pgjobs.flow_running"))
                    .containsExactlyInAnyOrder("limited/short=1", "limited/" + longValue.substring(0, 10) + "=1");

            MigrationRulesTest.migrate(url, 42);
            String digest = rows(c, "select 'sha256:' || encode(sha256(convert_to(" + quoted(longValue)
                    + ", 'UTF8')), 'hex')").getFirst();
            assertThat(rows(c, "select flow_partition from pgjobs.jobs order by flow_partition"))
                    .containsExactly(digest, "short");
            assertThat(rows(c, "select queue || '/' || left(partition, 10) || '=' || running from pgjobs.flow_running"))
                    .containsExactlyInAnyOrder("limited/short=1", "limited/" + longValue.substring(0, 10) + "=0",
                            "limited/" + digest.substring(0, 10) + "=1");
            assertThat(rows(c, "select partition from pgjobs.rate_limits")).containsExactly(digest);
            assertThat(rows(c, "select partition || ' ' || state from pgjobs.partition_circuits"))
                    .containsExactly(digest + " open");
            assertThat(rows(c, "select pgjobs.flow_partition_of(null, '{\"t\": \"" + longValue + "\"}', null, 'args', "
                    + "'{t}')")).as("what a claim computes for the value from now on").containsExactly(digest);

            s.execute("update pgjobs.jobs set state = 'completed', finished_at = now() where state = 'running'");
            assertThat(rows(c, "select running::text from pgjobs.flow_running")).containsOnly("0");
        } finally {
            try (Connection admin = db.connect(); Statement s = admin.createStatement()) {
                s.execute("drop database if exists " + database + " with (force)");
            }
        }
    }

    private static String quoted(String letters) {
        return "'" + letters + "'";
    }

    private static List<String> rows(Connection c, String sql) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }
}
