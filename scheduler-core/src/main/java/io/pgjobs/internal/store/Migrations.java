package io.pgjobs.internal.store;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Applies pgjobs' Flyway migrations (shipped in this jar under {@value #LOCATION}) to pgjobs' own schema, with
 * its own history table, so they never mix with the host application's migrations.
 */
public final class Migrations {
    public static final String LOCATION = "classpath:io/pgjobs/migrations";
    public static final String HISTORY_TABLE = "pgjobs_schema_history";

    public static void migrate(DataSource dataSource, String schema) {
        Flyway.configure(Migrations.class.getClassLoader())
                .dataSource(dataSource)
                .schemas(schema)
                .defaultSchema(schema)
                .table(HISTORY_TABLE)
                .locations(LOCATION)
                .load()
                .migrate();
    }

    private Migrations() {}
}
