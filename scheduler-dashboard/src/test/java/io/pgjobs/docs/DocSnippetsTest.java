package io.pgjobs.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.SnippetMatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java snippet of the README, docs/*.md and the public API's Javadoc is compiled: it stands, line for line,
 * in {@link DocSnippets}, so a snippet that stops compiling fails the build and an edited one must be edited
 * there too. The matching is {@link SnippetMatcher} (scheduler-core's test-jar). Except
 * docs/spring-boot.md, whose snippets need Spring's types: the autoconfigure module compiles and checks those
 * (SpringBootDocSnippetsTest); and docs/testing.md, whose snippets are a test that pgjobs-test runs
 * (TestingDocSnippetsTest).
 */
class DocSnippetsTest {
    /** The repository: Maven runs the tests in the module's directory. */
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path COMPILED = Path.of("src/test/java/io/pgjobs/docs/DocSnippets.java");
    /** The pgjobs side of the migration guides (docs/migrating-from-*.md). */
    private static final Path MIGRATIONS = Path.of("src/test/java/io/pgjobs/docs/MigrationSnippets.java");
    private static final Path PUBLIC_API = Path.of("scheduler-core/src/main/java/io/pgjobs");
    /** Compiled and checked in spring-boot/autoconfigure and in pgjobs-test. */
    private static final Set<Path> CHECKED_ELSEWHERE = Set.of(Path.of("docs/spring-boot.md"), Path.of("docs/testing.md"));

    @Test
    void everyDocumentedSnippetIsCompiledCode() throws IOException {
        Map<String, String> documented = new TreeMap<>();
        for (Path markdown : SnippetMatcher.markdownFiles(ROOT)) {
            if (!CHECKED_ELSEWHERE.contains(markdown)) {
                documented.putAll(SnippetMatcher.markdown(ROOT, markdown));
            }
        }
        for (Path source : publicApiSources()) {
            documented.putAll(SnippetMatcher.javadoc(ROOT, source));
        }
        Map<String, String> compiled = new TreeMap<>(SnippetMatcher.compiled(COMPILED));
        compiled.putAll(SnippetMatcher.compiled(MIGRATIONS));

        assertThat(compiled.keySet()).as("the snippets in %s (documented: left, compiled: right)", COMPILED)
                .isEqualTo(documented.keySet());
        documented.forEach((snippet, text) ->
                assertThat(compiled.get(snippet)).as("%s in %s", snippet, COMPILED).isEqualTo(text));
    }

    /** The public API's sources: the packages users see, not the internals. */
    private static List<Path> publicApiSources() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT.resolve(PUBLIC_API))) {
            return files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !ROOT.resolve(PUBLIC_API).relativize(p).startsWith("internal"))
                    .sorted().map(ROOT::relativize).toList();
        }
    }
}
