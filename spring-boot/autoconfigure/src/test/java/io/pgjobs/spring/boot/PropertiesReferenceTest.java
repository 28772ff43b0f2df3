package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.beans.PropertyDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanUtils;

/**
 * The property table of docs/spring-boot.md is checked against the configuration metadata that Spring Boot's
 * annotation processor generates from {@link PgJobsProperties} (the jar's
 * {@code META-INF/spring-configuration-metadata.json}, which IDEs read): a property the code has and the table
 * lacks, or one the table names that the code does not have, fails the build, and so does a default the table
 * states differently from the code's. A schedule's keys (a map of {@link PgJobsProperties.ScheduleProperties})
 * are not in the metadata, so they are read from that class.
 */
class PropertiesReferenceTest {
    private static final Path PAGE = Path.of("").toAbsolutePath().getParent().getParent().resolve("docs/spring-boot.md");
    /** A row of the property table: its first cell (one or more names in backticks) and its default. */
    private static final Pattern ROW = Pattern.compile("(?m)^\\| (`pgjobs\\.[^|]*) \\| ([^|]*) \\|");
    private static final Pattern NAME = Pattern.compile("`([^`]+)`");

    @Test
    void everyPropertyIsDocumentedWithItsDefault() throws IOException {
        Map<String, String> code = properties();
        Map<String, String> documented = documented();

        assertThat(documented.keySet()).as("properties in docs/spring-boot.md (left) and in the code (right)")
                .isEqualTo(code.keySet());
        code.forEach((name, defaultValue) -> {
            if (defaultValue != null) {
                assertThat(documented.get(name)).as("the default of %s in docs/spring-boot.md", name)
                        .contains("`" + defaultValue + "`");
            }
        });
    }

    /** pgjobs' properties by name (a map's key as {@code *}), with their default where the code has one. */
    private static Map<String, String> properties() throws IOException {
        JsonNode metadata;
        try (InputStream json = PgJobsProperties.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(json).as("the generated configuration metadata").isNotNull();
            metadata = new ObjectMapper().readTree(json);
        }
        Map<String, String> properties = new TreeMap<>();
        for (JsonNode property : metadata.get("properties")) {
            String name = property.get("name").asText();
            String type = property.get("type").asText();
            JsonNode defaultValue = property.get("defaultValue");
            if (!name.startsWith("pgjobs.")) {
                continue;       // Actuator's own settings of the pgjobs endpoint
            }
            if (type.contains(PgJobsProperties.ScheduleProperties.class.getSimpleName())) {
                properties.putAll(scheduleProperties(name + ".*"));
            } else {
                properties.put(type.startsWith("java.util.Map") ? name + ".*" : name,
                        defaultValue == null ? null : defaultValue.asText());
            }
        }
        return properties;
    }

    private static Map<String, String> scheduleProperties(String prefix) {
        Map<String, String> properties = new LinkedHashMap<>();
        for (PropertyDescriptor property : BeanUtils.getPropertyDescriptors(PgJobsProperties.ScheduleProperties.class)) {
            if (property.getWriteMethod() != null) {
                String name = prefix + "." + property.getName().replaceAll("([A-Z])", "-$1").toLowerCase();
                properties.put(Map.class.isAssignableFrom(property.getPropertyType()) ? name + ".*" : name, null);
            }
        }
        return properties;
    }

    /**
     * The table's names, as the metadata spells them: {@code <name>} and {@code *} for a map's key become
     * {@code *}, and a name such as {@code .viewer-role} after another is relative to the other's parent.
     */
    private static Map<String, String> documented() throws IOException {
        Map<String, String> documented = new TreeMap<>();
        Matcher row = ROW.matcher(Files.readString(PAGE));
        while (row.find()) {
            String previous = null;
            Matcher name = NAME.matcher(row.group(1));
            while (name.find()) {
                String full = name.group(1).startsWith(".")
                        ? previous.substring(0, previous.lastIndexOf('.')) + name.group(1) : name.group(1);
                documented.put(full.replace("<name>", "*"), row.group(2));
                previous = full;
            }
        }
        assertThat(documented).as("the property table of docs/spring-boot.md").isNotEmpty();
        return new TreeMap<>(documented);
    }

    @Test
    void theTableIsReadAsTheMetadataSpellsNames() throws IOException {
        assertThat(new TreeSet<>(documented().keySet())).contains("pgjobs.queues.*", "pgjobs.schedules.*.args.*",
                "pgjobs.dashboard.viewer-role");
    }
}
