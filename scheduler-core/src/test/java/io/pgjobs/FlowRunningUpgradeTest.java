package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * V39 on a database where flow-controlled jobs are running (a rolling deploy: nodes of the previous release hold
 * them): it starts the kept counts from those jobs, and the statements that end them afterwards (as the previous
 * release writes them, knowing nothing of the counts) bring the counts back down.
 */
class FlowRunningUpgradeTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @Test
    void theMigrationCountsTheJobsAlreadyRunningAndTheirEndsUncountThem() throws Exception {
        String database = "pgjobs_flow_upgrade_" + ProcessHandle.current().pid();
        String url = db.emptyDatabase(database);
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            MigrationRulesTest.migrate(url, 37);
            // running under limits (a flow_partition), running without (a plain queue), finished, waiting
            s.execute("insert into pgjobs.jobs (kind, queue, state, attempt, node_id, started_at, lease_expires_at, "
                    + "flow_partition) select 'k', q, 'running', 1, 'old', now(), now() + interval '1 minute', p "
                    + "from (values ('limited', 'a'), ('limited', 'a'), ('limited', ''), ('other', 'x')) v(q, p)");
            s.execute("insert into pgjobs.jobs (kind, queue, state, attempt, node_id, started_at, lease_expires_at) "
                    + "values ('k', 'plain', 'running', 1, 'old', now(), now() + interval '1 minute')");
            s.execute("insert into pgjobs.jobs (kind, queue, state, attempt, finished_at, flow_partition) "
                    + "values ('k', 'limited', 'completed', 1, now(), 'a')");
            s.execute("insert into pgjobs.jobs (kind, queue) values ('k', 'limited')");

            MigrationRulesTest.migrate(url, 39);
            assertThat(counts(c)).containsExactly("limited/=1", "limited/a=2", "other/x=1");

            s.execute("update pgjobs.jobs set state = 'completed', finished_at = now() "
                    + "where queue = 'limited' and flow_partition = 'a' and state = 'running'");
            s.execute("update pgjobs.jobs set state = 'retryable', run_at = now() where queue = 'other'");
            assertThat(counts(c)).containsExactly("limited/=1", "limited/a=0", "other/x=0");
        } finally {
            try (Connection admin = db.connect(); Statement s = admin.createStatement()) {
                s.execute("drop database if exists " + database + " with (force)");
            }
        }
    }

    private static List<String> counts(Connection c) throws Exception {
        List<String> counts = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "select queue || '/' || partition || '=' || running from pgjobs.flow_running order by queue, partition")) {
            while (rs.next()) {
                counts.add(rs.getString(1));
            }
        }
        return counts;
    }
}
