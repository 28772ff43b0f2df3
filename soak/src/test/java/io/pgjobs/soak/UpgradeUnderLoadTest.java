package io.pgjobs.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An upgrade under load from the previous release (built from git history) to this version: old nodes keep
 * working while this version's migrations are applied, new nodes roll in, the old ones stop gracefully, and
 * nothing is lost or doubled (docs/migrations.md, "Upgrading under load"). When this version adds no migration
 * after the previous release's, the same run rolls the code alone and says so. Tagged {@code upgrade}, which the
 * soak module's build leaves out unless asked ({@code -Dsoak.excludedGroups=none}): it takes minutes.
 */
@Tag("upgrade")
class UpgradeUnderLoadTest {
    @Test
    void oldNodesWorkThroughTheMigrationsAndNewOnesTakeOverWithNothingLostOrDoubled() throws Exception {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Upgrade.Result result;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            result = Upgrade.run(SoakOptions.parse("--duration", "80s", "--nodes", "2", "--rate", "30",
                    "--seed", "34"), Upgrade.repository(), out);
        }
        String report = output.toString(StandardCharsets.UTF_8);
        System.out.println(report);

        assertThat(result.violations()).as(report).isEmpty();
        assertThat(result.schemaVersion()).as("the schema ends at this version's last migration")
                .isEqualTo(Integer.toString(lastMigration()));
        long after = migrationsAfter(Integer.parseInt(result.previousSchemaVersion()));
        assertThat(result.migrationsApplied()).as("the migrations this version adds after V"
                + result.previousSchemaVersion() + " were all applied under load").isEqualTo(after);
        if (after == 0) {
            assertThat(report).contains("no migration after V" + result.previousSchemaVersion());
        }
        assertThat(result.oldAttemptsAfterMigration()).as("attempts the old nodes started after the migrations")
                .isPositive();
        assertThat(result.newAttempts()).as("attempts the new nodes started").isPositive();
        assertThat(result.oldStoppedGracefully()).as("the old nodes stopped by themselves on SIGTERM").isTrue();
        assertThat(result.steps().keySet()).containsExactlyInAnyOrder("START_PREVIOUS", "MIGRATION", "STOP_PREVIOUS");
        result.steps().values().forEach(step ->
                assertThat(step.recovered()).as(step.kind() + " recovered from").isEqualTo(step.injected()));
    }

    /** The highest version among the migrations this version ships. */
    private static int lastMigration() throws Exception {
        return versions().stream().mapToInt(Integer::intValue).max().orElseThrow();
    }

    /** How many of the migrations this version ships come after {@code version}. */
    private static long migrationsAfter(int version) throws Exception {
        return versions().stream().filter(v -> v > version).count();
    }

    /** The versions of the migrations this version ships. */
    private static List<Integer> versions() throws Exception {
        try (Stream<Path> files = Files.list(Upgrade.repository().resolve("migrations"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .map(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).toList();
        }
    }
}
