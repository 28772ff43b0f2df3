package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.internal.store.Migrations;
import io.pgjobs.testing.PgDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The rules for pgjobs' migrations (docs/migrations.md, "Rules for new migrations"): released migrations are
 * never edited, and a new one keeps nodes of the previous version working while it runs and after: it adds,
 * never drops or renames, never rewrites a table, never blocks writers of an existing table for longer than a
 * lock timeout.
 */
class MigrationRulesTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    /** The last migration released to users; everything up to it is in {@value #RELEASED}. */
    static final int LAST_RELEASED = 44;
    private static final String RELEASED = "released-migrations.sha256";
    private static final Pattern FILE = Pattern.compile("V(\\d+)__\\w+\\.sql");
    @Test
    void releasedMigrationsAreNeverEdited() throws Exception {
        Map<String, String> released = releasedChecksums();
        assertThat(released).as("released migrations listed").hasSize(33);
        Map<String, String> shipped = new TreeMap<>();
        for (Map.Entry<String, String> migration : migrations().entrySet()) {
            if (version(migration.getKey()) <= LAST_RELEASED) {
                shipped.put(migration.getKey(), sha256(migration.getValue()));
            }
        }
        assertThat(shipped).as("migrations up to V%d and their SHA-256 (a released migration is never edited, "
                + "removed or added: change the schema in a new one)", LAST_RELEASED).isEqualTo(released);
    }

    private static final String TIMEOUT = "set local lock_timeout = '5s';\n";

    /** The rules themselves catch what they are there to catch. */
    @Test
    void theRulesCatchEachKindOfBreakingMigration() {
        Set<String> tables = Set.of("jobs", "attempts");
        assertThat(violations(TIMEOUT + "alter table jobs drop column tags;", tables)).singleElement().asString()
                .contains("drops");
        assertThat(violations("drop table attempts;", tables)).singleElement().asString().contains("drops");
        assertThat(violations(TIMEOUT + "alter table jobs rename column kind to type;", tables)).singleElement().asString()
                .contains("renames");
        assertThat(violations(TIMEOUT + "alter table jobs alter column kind type varchar(300);", tables)).singleElement().asString().contains("changes a column's type");
        assertThat(violations("create index jobs_by_kind on jobs (kind);", tables)).singleElement().asString()
                .contains("concurrently");
        assertThat(violations("alter table jobs add column note text;", tables)).singleElement().asString()
                .contains("lock_timeout");
        assertThat(violations(TIMEOUT + "alter table jobs add constraint c check (attempt >= 0);", tables)).singleElement().asString().contains("not valid");
        // what the rules allow: new tables and their indexes, a nullable column, a constraint validated later,
        // an index built concurrently
        assertThat(violations("""
                create table notes (id bigint primary key, job_id bigint);
                create index notes_job on notes (job_id);
                set local lock_timeout = '5s';
                alter table jobs add column note text;
                alter table jobs add constraint note_length check (length(note) < 100) not valid;
                alter table jobs validate constraint note_length;
                """, tables)).isEmpty();
        assertThat(violations("create index concurrently jobs_by_kind on jobs (kind);", tables)).isEmpty();
    }

    /**
     * Checks each new migration's text against the rules, then applies it, one at a time from the last released
     * schema, to a database with jobs in it, and checks that no table or index of the schema before it was
     * rewritten (a new file node: the whole relation copied under an exclusive lock). That check is shown to work
     * on a rewrite done by hand.
     */
    @Test
    void newMigrationsFollowTheRulesAndRewriteNothing() throws Exception {
        String database = "pgjobs_rules_" + ProcessHandle.current().pid();
        String url = db.emptyDatabase(database);
        try (Connection c = DriverManager.getConnection(url)) {
            migrate(url, LAST_RELEASED);
            Set<String> releasedTables = tables(c);
            try (Statement s = c.createStatement()) {
                s.execute("insert into pgjobs.jobs (kind, args) select 'rules.job', '{}' from generate_series(1, 1000)");
            }
            for (Map.Entry<String, String> migration : migrations().entrySet()) {
                int version = version(migration.getKey());
                if (version > LAST_RELEASED) {
                    assertThat(violations(migration.getValue(), releasedTables)).as(migration.getKey())
                            .isEmpty();
                    Map<String, Long> before = fileNodes(c);
                    migrate(url, version);
                    assertThat(rewritten(before, fileNodes(c))).as("tables and indexes V%d rewrote", version).isEmpty();
                }
            }
            Map<String, Long> before = fileNodes(c);
            try (Statement s = c.createStatement()) {
                s.execute("alter table pgjobs.jobs alter column attempt type bigint");
            }
            assertThat(rewritten(before, fileNodes(c))).as("a rewrite done by hand is seen").contains("jobs");
        } finally {
            try (Connection admin = db.connect(); Statement s = admin.createStatement()) {
                s.execute("drop database if exists " + database + " with (force)");
            }
        }
    }

    /** What in {@code sql} breaks a rule, each with the rule; {@code existingTables} are the released schema's. */
    static List<String> violations(String sql, Set<String> existingTables) {
        String text = sql.replaceAll("--[^\n]*", " ").replaceAll("\\s+", " ").toLowerCase();
        List<String> violations = new ArrayList<>();
        if (Pattern.compile("\\bdrop (table|column)\\b").matcher(text).find()) {
            violations.add("drops a table or column that nodes of the previous version still use (contract in a later release)");
        }
        if (Pattern.compile("\\brename\\b").matcher(text).find()) {
            violations.add("renames what nodes of the previous version still use by its old name");
        }
        if (Pattern.compile("\\balter (column )?\\w+ (set data )?type\\b").matcher(text).find()) {
            violations.add("changes a column's type (rewrites the table under an exclusive lock)");
        }
        Matcher index = Pattern.compile("\\bcreate (unique )?index (concurrently )?(if not exists )?(\\w+ )?on (only )?(\\w+\\.)?(\\w+)")
                .matcher(text);
        while (index.find()) {
            if (index.group(2) == null && existingTables.contains(index.group(7))) {
                violations.add("builds index " + index.group(4).trim() + " on " + index.group(7)
                        + " without 'concurrently' (blocks its writers for the whole build)");
            }
        }
        Matcher alter = Pattern.compile("\\balter table (only )?(if exists )?(\\w+\\.)?(\\w+)").matcher(text);
        boolean altersExisting = false;
        while (alter.find()) {
            altersExisting |= existingTables.contains(alter.group(4));
        }
        if (altersExisting && !text.contains("lock_timeout")) {
            violations.add("alters an existing table without a lock_timeout (its lock would queue every writer "
                    + "behind a long transaction)");
        }
        Matcher constraint = Pattern.compile("\\badd constraint \\w+ (check|foreign key)\\b[^;]*;").matcher(text);
        while (constraint.find()) {
            if (!constraint.group().contains("not valid")) {
                violations.add("adds a constraint without 'not valid' (checks every row under the lock; validate it after)");
            }
        }
        return violations;
    }

    /** The shipped migrations (what Flyway reads from the jar), by file name in version order. */
    private static Map<String, String> migrations() throws IOException, URISyntaxException {
        Path dir = Path.of(Objects.requireNonNull(MigrationRulesTest.class.getClassLoader()
                .getResource(Migrations.LOCATION.substring("classpath:".length()))).toURI());
        Map<String, String> migrations = new TreeMap<>((a, b) -> Integer.compare(version(a), version(b)));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".sql")).toList()) {
                migrations.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        return migrations;
    }

    private static int version(String file) {
        Matcher m = FILE.matcher(file);
        if (!m.matches()) {
            throw new AssertionError("not a migration's file name: " + file);
        }
        return Integer.parseInt(m.group(1));
    }

    private static Map<String, String> releasedChecksums() throws IOException {
        Map<String, String> released = new TreeMap<>();
        try (InputStream in = MigrationRulesTest.class.getResourceAsStream(RELEASED)) {
            for (String line : new String(Objects.requireNonNull(in, RELEASED).readAllBytes(), StandardCharsets.UTF_8)
                    .split("\n")) {
                if (!line.isBlank()) {
                    String[] parts = line.trim().split("\\s+");
                    released.put(parts[1], parts[0]);
                }
            }
        }
        return released;
    }

    private static String sha256(String text) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static Set<String> tables(Connection c) throws SQLException {
        Set<String> tables = new TreeSet<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select tablename from pg_tables where schemaname = 'pgjobs'")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        return tables;
    }

    static void migrate(String url, int version) {
        Flyway.configure(MigrationRulesTest.class.getClassLoader())
                .dataSource(url, null, null)
                .schemas(PgDatabase.SCHEMA).defaultSchema(PgDatabase.SCHEMA)
                .table(Migrations.HISTORY_TABLE)
                .locations(Migrations.LOCATION)
                .target(Integer.toString(version))
                .load().migrate();
    }

    /** Each table's and index's file node in pgjobs' schema: a rewrite gives a relation a new one. */
    private static Map<String, Long> fileNodes(Connection c) throws SQLException {
        Map<String, Long> nodes = new LinkedHashMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                select c.relname, c.relfilenode from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = 'pgjobs' and c.relkind in ('r', 'i')""")) {
            while (rs.next()) {
                nodes.put(rs.getString(1), rs.getLong(2));
            }
        }
        return nodes;
    }

    private static List<String> rewritten(Map<String, Long> before, Map<String, Long> after) {
        return before.entrySet().stream()
                .filter(e -> after.containsKey(e.getKey()) && !after.get(e.getKey()).equals(e.getValue()))
                .map(Map.Entry::getKey).toList();
    }
}
