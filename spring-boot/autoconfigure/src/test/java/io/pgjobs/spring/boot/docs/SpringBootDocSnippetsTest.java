package io.pgjobs.spring.boot.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.SnippetMatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every Java snippet of docs/spring-boot.md is compiled: it stands, line for line, in {@link SpringBootDocSnippets}
 * (the rules of the dashboard's DocSnippetsTest, from scheduler-core's test-jar: {@link SnippetMatcher}). Runs in
 * spring-boot/autoconfigure and, on the Boot 3 line, in spring-boot/boot3-test: both two levels below the
 * repository.
 */
class SpringBootDocSnippetsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();
    private static final Path DOCS = Path.of("docs/spring-boot.md");
    private static final Path COMPILED =
            Path.of("spring-boot/autoconfigure/src/test/java/io/pgjobs/spring/boot/docs/SpringBootDocSnippets.java");

    @Test
    void everySnippetOfTheSpringBootDocsIsCompiledCode() throws IOException {
        assertThat(Files.isRegularFile(ROOT.resolve(DOCS))).as("%s under %s", DOCS, ROOT).isTrue();
        Map<String, String> documented = SnippetMatcher.markdown(ROOT, DOCS);
        Map<String, String> compiled = SnippetMatcher.compiled(ROOT.resolve(COMPILED));

        assertThat(documented).as("%s has Java snippets", DOCS).isNotEmpty();
        assertThat(compiled.keySet()).as("the snippets in %s (documented: left, compiled: right)", COMPILED)
                .isEqualTo(documented.keySet());
        documented.forEach((snippet, text) ->
                assertThat(compiled.get(snippet)).as("%s in %s", snippet, COMPILED).isEqualTo(text));
    }
}
