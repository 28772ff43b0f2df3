package io.pgjobs.test.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.SnippetMatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * docs/testing.md's snippets are {@link SignUpTest} and {@link ReportsTest}, line for line: the page's examples
 * compile and pass as tests. The dashboard's DocSnippetsTest, which compiles the other pages, leaves this page
 * to this module.
 */
class TestingDocSnippetsTest {
    /** The repository: Maven runs the tests in the module's directory. */
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path PAGE = Path.of("docs/testing.md");
    private static final List<Path> COMPILED = List.of(Path.of("src/test/java/io/pgjobs/test/docs/SignUpTest.java"),
            Path.of("src/test/java/io/pgjobs/test/docs/ReportsTest.java"));

    @Test
    void thePagesSnippetsAreTheTestsThatRun() throws IOException {
        Map<String, String> documented = SnippetMatcher.markdown(ROOT, PAGE);
        Map<String, String> compiled = new TreeMap<>();
        for (Path file : COMPILED) {
            compiled.putAll(SnippetMatcher.compiled(file));
        }

        assertThat(compiled.keySet()).as("the snippets in %s (documented: left, compiled: right)", COMPILED)
                .isEqualTo(documented.keySet());
        documented.forEach((snippet, text) ->
                assertThat(compiled.get(snippet)).as("%s in %s", snippet, COMPILED).isEqualTo(text));
    }
}
