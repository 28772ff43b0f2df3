package io.pgjobs.internal.config;

import java.util.Optional;
import java.util.OptionalInt;
import javax.sql.DataSource;

/**
 * What pgjobs can learn of the application's connection pool: how many connections it allows, and whether all of
 * them are in use with threads waiting. A HikariCP pool (reached through {@link DataSource#unwrap}, so one behind
 * a proxy counts too) tells both; of any other pool nothing is known, and docs/guide.md gives the minimum to
 * configure by hand. HikariCP is optional: its classes are only loaded when it is on the class path.
 */
public final class Pool {
    private static final boolean HIKARI_PRESENT = present("com.zaxxer.hikari.HikariDataSource");

    private final DataSource dataSource;

    public Pool(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The most connections the pool hands out at once, when the pool tells. */
    public OptionalInt maximumSize() {
        return HIKARI_PRESENT ? HikariPools.maximumSize(dataSource) : OptionalInt.empty();
    }

    /**
     * When the pool tells that every connection it may open is in use: a sentence saying so, with how many threads
     * wait. Empty when a connection is free or the pool does not tell.
     */
    public Optional<String> exhaustion() {
        return HIKARI_PRESENT ? HikariPools.exhaustion(dataSource) : Optional.empty();
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, Pool.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
