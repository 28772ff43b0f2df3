package io.pgjobs.spring.boot;

import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * A fresh migrated database (scheduler-core's {@link PgDatabase}) for a Spring Boot test class. Declared
 * with {@code @ExtendWith} before {@code @SpringBootTest} and paired with {@code @DirtiesContext}, it is
 * registered before Spring's extension, so its {@code afterAll} runs after Spring's: the application context,
 * and with it the scheduler, is closed before the database is dropped.
 */
final class TestDatabase implements BeforeAllCallback, AfterAllCallback {
    private static PgDatabase current;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        current = new PgDatabase();
        current.beforeAll(context);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        current.afterAll(context);
        current = null;
    }

    /** Points the application's {@code spring.datasource.url} at this class's database. */
    static void register(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", current::jdbcUrl);
    }

    static String jdbcUrl() {
        return current.jdbcUrl();
    }

    static String queryString(String sql) {
        try (Connection connection = current.dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    static long queryLong(String sql) {
        try {
            return current.queryLong(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }
}
