package io.pgjobs.build;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.jooq.codegen.GenerationTool;
import org.jooq.meta.jaxb.Configuration;
import org.jooq.meta.jaxb.Database;
import org.jooq.meta.jaxb.Generate;
import org.jooq.meta.jaxb.Generator;
import org.jooq.meta.jaxb.Jdbc;
import org.jooq.meta.jaxb.Target;

/**
 * Generates pgjobs' jOOQ classes from the real migrations: starts an embedded PostgreSQL, applies
 * {@code migrations/} with Flyway, and points jOOQ's generator at the result. So the build needs no database
 * server of its own, and the generated code can never drift from the schema. Skips all of it when the
 * migrations have not changed since the last generation.
 *
 * <p>Arguments: migrations directory, output directory, target package.
 */
public final class GenerateJooq {
    private static final String SCHEMA = "pgjobs";

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: GenerateJooq <migrations dir> <output dir> <package>");
        }
        Path migrations = Path.of(args[0]).toAbsolutePath();
        Path output = Path.of(args[1]).toAbsolutePath();
        String packageName = args[2];
        Path stamp = output.resolve(".migrations.sha256");
        String digest = digest(migrations);
        if (Files.exists(stamp) && Files.readString(stamp).equals(digest)) {
            System.out.println("[pgjobs-codegen] migrations unchanged, jOOQ classes are up to date");
            return;
        }
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            Flyway.configure()
                    .dataSource(pg.getPostgresDatabase())
                    .schemas(SCHEMA)
                    .defaultSchema(SCHEMA)
                    .locations("filesystem:" + migrations)
                    .load()
                    .migrate();
            GenerationTool.generate(new Configuration()
                    .withJdbc(new Jdbc()
                            .withDriver("org.postgresql.Driver")
                            .withUrl(pg.getJdbcUrl("postgres", "postgres"))
                            .withUser("postgres"))
                    .withGenerator(new Generator()
                            .withDatabase(new Database()
                                    .withName("org.jooq.meta.postgres.PostgresDatabase")
                                    .withInputSchema(SCHEMA)
                                    .withIncludes(".*")
                                    .withExcludes("flyway_schema_history|pgjobs_schema_history")
                                    // the claim (claim_jobs) is called by name from hand-written SQL in
                                    // ExecutionStore; no generated routine or table-valued function stands for it
                                    .withIncludeRoutines(false)
                                    .withTableValuedFunctions(false))
                            .withGenerate(new Generate().withRecords(true).withPojos(false).withDaos(false))
                            .withTarget(new Target().withPackageName(packageName).withDirectory(output.toString()))));
        }
        Files.writeString(stamp, digest);
    }

    private static String digest(Path migrations) throws IOException, NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        // what is generated, so a change to it regenerates too
        sha.update("routines and table-valued functions excluded".getBytes(StandardCharsets.UTF_8));
        List<Path> files;
        try (Stream<Path> listing = Files.list(migrations)) {
            files = listing.filter(p -> p.toString().endsWith(".sql")).sorted().toList();
        }
        for (Path file : files) {
            sha.update(file.getFileName().toString().getBytes(StandardCharsets.UTF_8));
            sha.update(Files.readAllBytes(file));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private GenerateJooq() {}
}
