package io.pgjobs.internal.store;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Applies pgjobs' Flyway migrations (shipped in this jar under {@value #LOCATION}) to pgjobs' own schema, with
 * its own history table, so they never mix with the host application's migrations. Once per process, data
 * source and schema: a process that migrates first and starts later (or builds several schedulers over one data
 * source) checks the schema once, not at every call.
 */
public final class Migrations {
    public static final String LOCATION = "classpath:io/pgjobs/migrations";
    public static final String HISTORY_TABLE = "pgjobs_schema_history";

    /** The schemas migrated in this process, by data source (weakly: a closed and dropped pool is forgotten). */
    private static final Map<DataSource, Set<String>> MIGRATED = Collections.synchronizedMap(new WeakHashMap<>());

    public static void migrate(DataSource dataSource, String schema) {
        Set<String> schemas = MIGRATED.computeIfAbsent(dataSource, ds -> ConcurrentHashMap.newKeySet());
        synchronized (schemas) {
            if (!schemas.contains(schema)) {
                flyway(dataSource, schema);
                schemas.add(schema);
            }
        }
    }

    private static void flyway(DataSource dataSource, String schema) {
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
