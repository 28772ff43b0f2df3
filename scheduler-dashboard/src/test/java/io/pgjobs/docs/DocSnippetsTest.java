package io.pgjobs.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java snippet of the README, docs/*.md and the public API's Javadoc is compiled: it stands, line for line,
 * in {@link DocSnippets}, so a snippet that stops compiling fails the build and an edited one must be edited
 * there too.
 */
class DocSnippetsTest {
    /** The repository: Maven runs the tests in the module's directory. */
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path COMPILED = Path.of("src/test/java/io/pgjobs/docs/DocSnippets.java");
    private static final Path PUBLIC_API = Path.of("scheduler-core/src/main/java/io/pgjobs");

    private static final Pattern MARKDOWN = Pattern.compile("(?m)^```java\\n(.*?)^```$", Pattern.DOTALL);
    private static final Pattern JAVADOC = Pattern.compile("<pre>\\{@code\\n(.*?)\\n\\s*\\* }</pre>", Pattern.DOTALL);
    private static final Pattern JAVADOC_MARGIN = Pattern.compile("(?m)^\\s*\\* ?");
    private static final Pattern REGION = Pattern.compile("// snippet (\\S+)\\n(.*?)\\n\\s*// end snippet", Pattern.DOTALL);

    @Test
    void everyDocumentedSnippetIsCompiledCode() throws IOException {
        Map<String, String> documented = new TreeMap<>();
        for (Path markdown : markdownFiles()) {
            collect(documented, markdown, MARKDOWN, Files.readString(ROOT.resolve(markdown)));
        }
        for (Path source : publicApiSources()) {
            collect(documented, source, JAVADOC, Files.readString(ROOT.resolve(source)));
        }
        Map<String, String> compiled = new TreeMap<>();
        Matcher region = REGION.matcher(Files.readString(COMPILED));
        while (region.find()) {
            compiled.put(region.group(1), normalized(region.group(2)));
        }

        assertThat(compiled.keySet()).as("the snippets in %s (documented: left, compiled: right)", COMPILED)
                .isEqualTo(documented.keySet());
        documented.forEach((snippet, text) ->
                assertThat(compiled.get(snippet)).as("%s in %s", snippet, COMPILED).isEqualTo(text));
    }

    private static void collect(Map<String, String> snippets, Path file, Pattern block, String text) {
        Matcher m = block.matcher(text);
        for (int n = 1; m.find(); n++) {
            String snippet = block == JAVADOC ? JAVADOC_MARGIN.matcher(m.group(1)).replaceAll("") : m.group(1);
            snippets.put(file.toString().replace('\\', '/') + "#" + n, normalized(snippet));
        }
    }

    private static List<Path> markdownFiles() throws IOException {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(p -> files.add(ROOT.relativize(p)));
        }
        return files;
    }

    /** The public API's sources: the packages users see, not the internals. */
    private static List<Path> publicApiSources() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT.resolve(PUBLIC_API))) {
            return files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !ROOT.resolve(PUBLIC_API).relativize(p).startsWith("internal"))
                    .sorted().map(ROOT::relativize).toList();
        }
    }

    /** Without the indentation common to all its lines, and without trailing blanks. */
    private static String normalized(String snippet) {
        List<String> lines = snippet.stripTrailing().lines().map(String::stripTrailing).toList();
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return String.join("\n", lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList());
    }
}
