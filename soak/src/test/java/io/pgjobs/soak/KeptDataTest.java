package io.pgjobs.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run given {@code --data-dir} leaves its database there, which {@link Recheck} opens again with everything the
 * run wrote; a directory that already holds files is refused rather than written into.
 */
class KeptDataTest {
    @TempDir
    Path temp;

    @Test
    void theDatabaseStaysInTheDataDirectoryAndOpensAgain() throws Exception {
        Path data = temp.resolve("soak-data");
        try (SoakDatabase database = SoakDatabase.embedded(SoakDatabase.LATEST, data)) {
            execute(database, "insert into soak.enqueued (job_id) values (42)");
        }
        assertThat(data.resolve("PG_VERSION")).exists();

        try (SoakDatabase database = SoakDatabase.kept(data); Connection c = database.dataSource().getConnection();
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select job_id from soak.enqueued")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isEqualTo(42);
        }
        assertThatThrownBy(() -> SoakDatabase.embedded(SoakDatabase.LATEST, data))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--data-dir must be a new or empty directory: " + data + " holds files");
        try (var files = Files.list(data)) {
            assertThat(files.count()).as("left as it was").isPositive();
        }
    }

    private static void execute(SoakDatabase database, String sql) throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
