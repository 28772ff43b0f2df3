package io.pgjobs.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.JobState;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.WorkflowStep;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image-processing agent end to end on an embedded PostgreSQL: every good image's manifest matches the files
 * in the output store and their checksums, and the source's SHA-256 is kept with its validation job; the images
 * that fail (one unreadable, one the store refuses after files were written) leave nothing behind.
 */
class ImageAgentTest {
    @TempDir
    Path dir;

    @Test
    void goodImagesGetTheirManifestAndFailedOnesLeaveNoPartialOutputs() throws Exception {
        List<String> progress = new CopyOnWriteArrayList<>();
        ImageAgent.Options options = new ImageAgent.Options(dir, 4, 7, 30);
        ImageAgent.Summary summary;
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
             HikariDataSource dataSource = Demo.pool(pg.getJdbcUrl("postgres", "postgres"))) {
            summary = ImageAgent.run(dataSource, options, progress::add);
        }

        assertThat(summary.processed()).containsExactly("photo-00", "photo-01", "photo-02");
        assertThat(summary.compensated()).containsExactlyInAnyOrder("refused-03", "broken");
        assertThat(progress).as("the seeded target fails some upload attempts, which are retried")
                .anyMatch(line -> line.contains("failed (flaky target)"));
        Path out = dir.resolve("out");
        ObjectMapper json = new ObjectMapper();
        for (String image : summary.processed()) {
            JsonNode manifest = json.readTree(out.resolve(image).resolve("manifest.json").toFile());
            String sourceSha = ImagePipeline.sha256(dir.resolve("in").resolve(image + ".png"));
            assertThat(manifest.get("sourceSha256").asText()).isEqualTo(sourceSha);
            assertThat(summary.sagas().get(image).step("validate").orElseThrow().result()).contains(sourceSha);
            Map<String, String> listed = new TreeMap<>();
            manifest.get("files").forEach(file -> listed.put(file.get("name").asText(), file.get("sha256").asText()));
            Map<String, String> stored = new TreeMap<>();
            for (Path file : files(out.resolve(image))) {
                if (!file.getFileName().toString().equals("manifest.json")) {
                    stored.put(file.getFileName().toString(), ImagePipeline.sha256(file));
                }
            }
            assertThat(listed).as(image).isEqualTo(stored)
                    .containsOnlyKeys("small.png", "medium.png", "large.png");
            manifest.get("files").forEach(file -> assertThat(file.get("width").asInt()).isEqualTo(
                    ImagePipeline.SIZES.get(file.get("name").asText().replace(".png", ""))));
        }
        for (String image : summary.compensated()) {
            assertThat(files(out.resolve(image))).as(image).isEmpty();
            assertThat(files(dir.resolve("work").resolve(image))).as(image).isEmpty();
        }
        WorkflowStatus refused = summary.sagas().get("refused-03");
        assertThat(refused.step("upload").orElseThrow().state()).isEqualTo(JobState.DISCARDED);
        List<String> undone = new ArrayList<>();
        for (WorkflowStep step : refused.steps()) {
            if (step.compensation() != null && step.compensation().jobId() != null) {
                assertThat(step.compensation().state()).isEqualTo(JobState.COMPLETED);
                undone.add(step.name());
            }
        }
        assertThat(undone).containsExactlyInAnyOrder("resize-small", "resize-medium", "resize-large", "watermark");
    }

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }
}
