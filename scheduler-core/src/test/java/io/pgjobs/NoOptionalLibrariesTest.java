package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.PgDatabase;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Micrometer, OpenTelemetry and HikariCP are optional: a scheduler must run, observed, without them. */
class NoOptionalLibrariesTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @Test
    void aSchedulerRunsJobsWithEventsAndHealthOnAClassPathWithoutMicrometerOrOpenTelemetry() throws Exception {
        List<String> classPath = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        List<String> withoutOptional = classPath.stream()
                .filter(entry -> !entry.contains("io/micrometer") && !entry.contains("io/opentelemetry")
                        && !entry.contains("com/zaxxer")).toList();
        assertThat(withoutOptional).as("the test class path names the optional libraries' jars")
                .hasSizeLessThan(classPath.size());

        Process process = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", String.join(File.pathSeparator, withoutOptional),
                WithoutOptionalLibraries.class.getName(), db.jdbcUrl())
                .redirectErrorStream(true).start();
        String output;
        try (var out = process.getInputStream()) {
            output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        String result = output.lines().filter(line -> line.startsWith("RESULT")).collect(Collectors.joining());
        assertThat(result).as(output)
                .contains("state=COMPLETED", "mdc=[req-7]", "health=UP", "JobEnqueued", "JobStarted", "JobSucceeded");
    }
}
