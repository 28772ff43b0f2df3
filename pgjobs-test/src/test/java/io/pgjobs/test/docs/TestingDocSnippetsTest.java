package io.pgjobs.test.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.SnippetMatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docs/testing.md's snippets are {@link SignUpTest}, line for line: the page's example compiles and passes as a
 * test. The dashboard's DocSnippetsTest, which compiles the other pages, leaves this page to this module.
 */
class TestingDocSnippetsTest {
    /** The repository: Maven runs the tests in the module's directory. */
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path PAGE = Path.of("docs/testing.md");
    private static final Path COMPILED = Path.of("src/test/java/io/pgjobs/test/docs/SignUpTest.java");

    @Test
    void thePagesSnippetsAreTheTestThatRuns() throws IOException {
        Map<String, String> documented = SnippetMatcher.markdown(ROOT, PAGE);
        Map<String, String> compiled = SnippetMatcher.compiled(COMPILED);

        assertThat(compiled.keySet()).as("the snippets in %s (documented: left, compiled: right)", COMPILED)
                .isEqualTo(documented.keySet());
        documented.forEach((snippet, text) ->
                assertThat(compiled.get(snippet)).as("%s in %s", snippet, COMPILED).isEqualTo(text));
    }
}
