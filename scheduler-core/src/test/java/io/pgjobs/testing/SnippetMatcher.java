package io.pgjobs.testing;

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

/**
 * The matching of documented snippets to compiled ones, shared by the modules that compile the documentation's
 * snippets (the dashboard's DocSnippetsTest, the Spring Boot autoconfigure module's SpringBootDocSnippetsTest; both
 * see this module's test-jar). A snippet is a ```java block of a Markdown file or a {@code <pre>{@code ...}</pre>}
 * example of a Javadoc comment, named {@code <file>#<n>} (the n-th of its file, the file relative to the
 * repository); compiled, it stands between {@code // snippet <file>#<n>} and {@code // end snippet}. Both are
 * compared without their common indentation and trailing blanks.
 */
public final class SnippetMatcher {
    private static final Pattern MARKDOWN = Pattern.compile("(?m)^```java\\n(.*?)^```$", Pattern.DOTALL);
    private static final Pattern JAVADOC = Pattern.compile("<pre>\\{@code\\n(.*?)\\n\\s*\\* }</pre>", Pattern.DOTALL);
    private static final Pattern JAVADOC_MARGIN = Pattern.compile("(?m)^\\s*\\* ?");
    private static final Pattern REGION = Pattern.compile("// snippet (\\S+)\\n(.*?)\\n\\s*// end snippet", Pattern.DOTALL);

    private SnippetMatcher() {}

    /** The ```java blocks of {@code markdown} (relative to {@code root}), by name. */
    public static Map<String, String> markdown(Path root, Path markdown) throws IOException {
        return collect(markdown, MARKDOWN, Files.readString(root.resolve(markdown)));
    }

    /** The {@code <pre>{@code ...}</pre>} examples of the Javadoc of {@code source} (relative to {@code root}). */
    public static Map<String, String> javadoc(Path root, Path source) throws IOException {
        return collect(source, JAVADOC, Files.readString(root.resolve(source)));
    }

    /** The regions of {@code compiled}, by the snippet name of their marker. */
    public static Map<String, String> compiled(Path compiled) throws IOException {
        Map<String, String> regions = new TreeMap<>();
        Matcher region = REGION.matcher(Files.readString(compiled));
        while (region.find()) {
            regions.put(region.group(1), normalized(region.group(2)));
        }
        return regions;
    }

    /** README.md and docs/*.md, relative to {@code root}. */
    public static List<Path> markdownFiles(Path root) throws IOException {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(p -> files.add(root.relativize(p)));
        }
        return files;
    }

    private static Map<String, String> collect(Path file, Pattern block, String text) {
        Map<String, String> snippets = new TreeMap<>();
        Matcher m = block.matcher(text);
        for (int n = 1; m.find(); n++) {
            String snippet = block == JAVADOC ? JAVADOC_MARGIN.matcher(m.group(1)).replaceAll("") : m.group(1);
            snippets.put(file.toString().replace('\\', '/') + "#" + n, normalized(snippet));
        }
        return snippets;
    }

    /** Without the indentation common to all its lines, and without trailing blanks. */
    static String normalized(String snippet) {
        List<String> lines = snippet.stripTrailing().lines().map(String::stripTrailing).toList();
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return String.join("\n", lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList());
    }
}
