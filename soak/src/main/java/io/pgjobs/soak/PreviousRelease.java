package io.pgjobs.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * scheduler-core of the previous release, built from this repository's git history: {@code git archive} of its
 * commit into {@code soak/target/previous-release/<commit>}, then an offline Maven build of its scheduler-core
 * (and the jOOQ codegen it needs), without tests. The jar is kept there and reused by later runs. Needs the
 * history (a clone has it; a shallow one may not) and the Maven repository the current build filled.
 */
final class PreviousRelease {
    /** The last release: main at this commit shipped schema V29 (see MigrationRulesTest's LAST_RELEASED). */
    static final String COMMIT = "375030c";

    private static final long BUILD_TIMEOUT_MINUTES = 20;

    private PreviousRelease() {}

    /** The previous release's scheduler-core jar, built first if it is not there yet. */
    static Path schedulerCoreJar(Path repository) throws IOException, InterruptedException {
        Path dir = repository.resolve("soak/target/previous-release/" + COMMIT).toAbsolutePath();
        Optional<Path> built = jar(dir);
        if (built.isPresent()) {
            return built.get();
        }
        run(repository, List.of("git", "cat-file", "-e", COMMIT + "^{commit}"), null,
                "commit " + COMMIT + " (the previous release) is not in this clone's history: a shallow clone lacks "
                        + "it (git fetch --unshallow)");
        Path source = dir.resolve("source");
        deleteTree(source); // what a build that was stopped half-way left
        Files.createDirectories(source);
        Path archive = dir.resolve("source.tar");
        run(repository, List.of("git", "archive", "--format=tar", "-o", archive.toString(), COMMIT), null,
                "git archive of " + COMMIT + " failed");
        run(source, List.of("tar", "-xf", archive.toString()), null, "unpacking " + archive + " failed");
        Files.delete(archive);
        Path log = dir.resolve("build.log");
        System.out.println("[upgrade] building scheduler-core of " + COMMIT + " (offline, no tests); log in " + log);
        run(source, List.of(source.resolve("mvnw").toString(), "-B", "-q", "-o", "-pl", "scheduler-core", "-am",
                        "package", "-Dmaven.test.skip=true"), log,
                "the offline build of scheduler-core at " + COMMIT + " failed (it needs the Maven repository that "
                        + "building this version filled)");
        return jar(dir).orElseThrow(() -> new IllegalStateException("the build of " + COMMIT + " left no jar in "
                + source.resolve("scheduler-core/target")));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    private static Optional<Path> jar(Path dir) throws IOException {
        Path target = dir.resolve("source/scheduler-core/target");
        if (!Files.isDirectory(target)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(f -> f.getFileName().toString().matches("scheduler-core-[^-]+(-SNAPSHOT)?\\.jar"))
                    .findFirst();
        }
    }

    /** Runs {@code command} in {@code dir} with this JVM's Java; its output to {@code log}, or kept for the error. */
    private static void run(Path dir, List<String> command, Path log, String failure)
            throws IOException, InterruptedException {
        Path output = log != null ? log : Files.createTempFile("previous-release", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        // a build started from a build: the outer one's base directory must not leak into the inner one
        builder.environment().remove("MAVEN_PROJECTBASEDIR");
        builder.environment().remove("MAVEN_BASEDIR");
        Process process = builder.start();
        boolean exited = process.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!exited) {
            process.destroyForcibly();
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        if (log == null) {
            Files.delete(output);
        }
        if (!exited || process.exitValue() != 0) {
            String tail = text.length() > 4000 ? text.substring(text.length() - 4000) : text;
            throw new IllegalStateException(failure + (exited ? "" : " (still running after "
                    + BUILD_TIMEOUT_MINUTES + " min)") + ": " + String.join(" ", command) + "\n" + tail);
        }
    }
}
