package io.pgjobs.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * scheduler-core of the previous release (or of any commit of this repository), built from its git history:
 * {@code git archive} of the commit into {@code soak/target/previous-release/<commit>}, then an offline Maven
 * build of its scheduler-core (and the jOOQ codegen it needs), without tests. The jar is kept there and reused by
 * later runs. Needs the history (a clone has it; a shallow one may not) and the Maven repository the current
 * build filled. The schema the commit's nodes expect is its last migration's version, read from its history too.
 */
final class PreviousRelease {
    /** The last release: main at this commit (the stop that landed on the evening of 2026-12-06) shipped schema V44. */
    static final String COMMIT = "0cf1670";

    private static final long BUILD_TIMEOUT_MINUTES = 20;

    private PreviousRelease() {}

    /** The version of the last migration in {@code commit}'s {@code migrations/}: the schema its nodes run on. */
    static String schemaVersion(Path repository, String commit) throws IOException, InterruptedException {
        requireCommit(repository, commit);
        Path listing = Files.createTempFile("previous-release-migrations", ".txt");
        try {
            run(repository, List.of("git", "ls-tree", "--name-only", commit, "migrations/"), listing,
                    "listing the migrations of " + commit + " failed");
            OptionalInt last = Files.readAllLines(listing).stream()
                    .map(path -> path.substring(path.lastIndexOf('/') + 1))
                    .filter(name -> name.matches("V\\d+__.*\\.sql"))
                    .mapToInt(name -> Integer.parseInt(name.substring(1, name.indexOf("__"))))
                    .max();
            if (last.isEmpty()) {
                throw new IllegalStateException("commit " + commit + " has no migrations/V<n>__*.sql");
            }
            return Integer.toString(last.getAsInt());
        } finally {
            Files.delete(listing);
        }
    }

    /** {@code commit}'s scheduler-core jar, built first if it is not there yet. */
    static Path schedulerCoreJar(Path repository, String commit) throws IOException, InterruptedException {
        Path dir = repository.resolve("soak/target/previous-release/" + commit).toAbsolutePath();
        Optional<Path> built = jar(dir);
        if (built.isPresent()) {
            return built.get();
        }
        requireCommit(repository, commit);
        Path source = dir.resolve("source");
        deleteTree(source); // what a build that was stopped half-way left
        Files.createDirectories(source);
        Path archive = dir.resolve("source.tar");
        run(repository, List.of("git", "archive", "--format=tar", "-o", archive.toString(), commit), null,
                "git archive of " + commit + " failed");
        run(source, List.of("tar", "-xf", archive.toString()), null, "unpacking " + archive + " failed");
        Files.delete(archive);
        Path log = dir.resolve("build.log");
        System.out.println("[upgrade] building scheduler-core of " + commit + " (offline, no tests); log in " + log);
        run(source, List.of(source.resolve("mvnw").toString(), "-B", "-q", "-o", "-pl", "scheduler-core", "-am",
                        "package", "-Dmaven.test.skip=true"), log,
                "the offline build of scheduler-core at " + commit + " failed (it needs the Maven repository that "
                        + "building this version filled)");
        return jar(dir).orElseThrow(() -> new IllegalStateException("the build of " + commit + " left no jar in "
                + source.resolve("scheduler-core/target")));
    }

    private static void requireCommit(Path repository, String commit) throws IOException, InterruptedException {
        run(repository, List.of("git", "cat-file", "-e", commit + "^{commit}"), null,
                "commit " + commit + " (the previous release) is not in this clone's history: a shallow clone lacks "
                        + "it (git fetch --unshallow)");
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
