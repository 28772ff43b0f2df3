package io.pgjobs.internal.config;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.sql.SQLException;
import java.util.Optional;
import java.util.OptionalInt;
import javax.sql.DataSource;

/** {@link Pool}'s reading of a HikariCP pool; only loaded when HikariCP is on the class path. */
final class HikariPools {
    static OptionalInt maximumSize(DataSource dataSource) {
        return hikari(dataSource).map(hikari -> OptionalInt.of(hikari.getMaximumPoolSize())).orElse(OptionalInt.empty());
    }

    static Optional<String> exhaustion(DataSource dataSource) {
        return hikari(dataSource).flatMap(hikari -> {
            HikariPoolMXBean pool = hikari.getHikariPoolMXBean(); // null until the pool has started
            if (pool == null || pool.getActiveConnections() < hikari.getMaximumPoolSize()) {
                return Optional.empty();
            }
            return Optional.of("all " + pool.getActiveConnections() + " connections of pool '" + hikari.getPoolName()
                    + "' (maximumPoolSize " + hikari.getMaximumPoolSize() + ") are in use and "
                    + pool.getThreadsAwaitingConnection() + " threads wait for one");
        });
    }

    private static Optional<HikariDataSource> hikari(DataSource dataSource) {
        try {
            return dataSource.isWrapperFor(HikariDataSource.class)
                    ? Optional.of(dataSource.unwrap(HikariDataSource.class)) : Optional.empty();
        } catch (SQLException e) {
            // a wrapper that cannot say what it wraps: treated as a pool that tells nothing
            return Optional.empty();
        }
    }

    private HikariPools() {}
}
