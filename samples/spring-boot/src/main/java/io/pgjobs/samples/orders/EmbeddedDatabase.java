package io.pgjobs.samples.orders;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * So the sample runs with nothing but a JDK: without {@code spring.datasource.url} it starts an embedded
 * PostgreSQL and pools connections to it. The pool is closed before the server stops (it depends on it).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.datasource.url", matchIfMissing = true, havingValue = "embedded")
class EmbeddedDatabase {

    @Bean(destroyMethod = "close")
    EmbeddedPostgres embeddedPostgres() throws IOException {
        // Stopped by the context after the pool, not by a JVM shutdown hook of its own that would race the
        // context's (on Ctrl-C the server went first and pgjobs' stop waited on connections to it).
        return EmbeddedPostgres.builder().setRegisterShutdownHook(false).start();
    }

    @Bean
    DataSource dataSource(EmbeddedPostgres postgres) {
        return DataSourceBuilder.create().url(postgres.getJdbcUrl("postgres", "postgres")).build();
    }
}
