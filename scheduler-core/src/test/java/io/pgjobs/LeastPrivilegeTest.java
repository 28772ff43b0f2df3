package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.admin.AdminClient;
import io.pgjobs.admin.JobAction;
import io.pgjobs.admin.JobFilter;
import io.pgjobs.admin.Overview;
import io.pgjobs.admin.PageRequest;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * pgjobs under the roles of docs/production.md, "Least privilege": an owner role that owns only pgjobs' schema
 * (no superuser, no CREATE on the database) applies the migrations; an application role with DML on the schema's
 * tables runs a node (claims, completions, the leader's chores, LISTEN, cron); a viewer role reads what the
 * dashboard shows and is refused every change, with the server's "permission denied" in the error.
 */
class LeastPrivilegeTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final String SUFFIX = "_" + ProcessHandle.current().pid();
    private static final String DATABASE = "pgjobs_roles" + SUFFIX;
    private static final String OWNER = "pgjobs_owner" + SUFFIX;
    private static final String APP = "pgjobs_app" + SUFFIX;
    private static final String VIEWER = "pgjobs_viewer" + SUFFIX;

    @JobKind("test.privileged")
    record Privileged(int n) {}

    @BeforeAll
    static void createRolesAndSchema() throws Exception {
        admin("postgres", """
                drop database if exists %1$s;
                create database %1$s;
                create role %2$s login password 'owner';
                create role %3$s login password 'app';
                create role %4$s login password 'viewer';
                """.formatted(DATABASE, OWNER, APP, VIEWER));
        admin(DATABASE, """
                revoke create on database %1$s from public;
                revoke create on schema public from public;
                create schema pgjobs authorization %2$s;
                """.formatted(DATABASE, OWNER));
        try (HikariDataSource owner = pool(OWNER, "owner")) {
            Scheduler.builder(owner).build().migrate();
            try (Connection c = owner.getConnection(); Statement s = c.createStatement()) {
                s.execute(GRANTS.formatted(APP, VIEWER));
            }
        }
    }

    /** The grants of docs/production.md, run by the owner after each migration (and as default privileges). */
    static final String GRANTS = """
            grant usage on schema pgjobs to %1$s, %2$s;
            grant select, insert, update, delete on all tables in schema pgjobs to %1$s;
            grant usage, select on all sequences in schema pgjobs to %1$s;
            grant execute on all functions in schema pgjobs to %1$s;
            grant select on all tables in schema pgjobs to %2$s;
            alter default privileges in schema pgjobs grant select, insert, update, delete on tables to %1$s;
            alter default privileges in schema pgjobs grant usage, select on sequences to %1$s;
            alter default privileges in schema pgjobs grant select on tables to %2$s;
            """;

    @AfterAll
    static void dropRolesAndDatabase() throws Exception {
        admin("postgres", """
                drop database if exists %1$s with (force);
                drop role if exists %2$s;
                drop role if exists %3$s;
                drop role if exists %4$s;
                """.formatted(DATABASE, OWNER, APP, VIEWER));
    }

    @Test
    void theOwnerIsNoSuperuserAndCannotCreateSchemas() throws Exception {
        try (HikariDataSource owner = pool(OWNER, "owner"); Connection c = owner.getConnection();
             Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select rolsuper, has_database_privilege(current_user, current_database(), "
                    + "'CREATE') from pg_roles where rolname = current_user")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("superuser").isFalse();
                assertThat(rs.getBoolean(2)).as("CREATE on the database").isFalse();
            }
            assertThatThrownBy(() -> s.execute("create schema elsewhere"))
                    .hasMessageContaining("permission denied for database");
        }
    }

    @Test
    void theApplicationRoleRunsANodeAndCannotChangeTheSchema() throws Exception {
        Logger pgjobs = (Logger) LoggerFactory.getLogger("io.pgjobs");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        pgjobs.addAppender(logged);
        try (HikariDataSource app = pool(APP, "app");
             Scheduler scheduler = Scheduler.builder(app)
                     .queue("default", 4)
                     .leaseDuration(Duration.ofSeconds(3))
                     .handler(Privileged.class, ctx -> null)
                     .schedule(Schedule.of("privileged-tick", "every 1s", "test.privileged", Map.of("n", 0)))
                     .build()) {
            scheduler.start(); // its migration step only reads the history: the schema is current
            long job = scheduler.client().enqueue(new Privileged(1)).id();
            Await.until(Duration.ofSeconds(60), "the job completed, the schedule fired, the node leads", () ->
                    scheduler.client().get(job).map(j -> j.state() == JobState.COMPLETED).orElse(false)
                            && scheduler.isLeader()
                            && count(app, "select count(*) from pgjobs.jobs where kind = 'test.privileged' and id <> " + job) > 0);
            assertThat(count(app, "select count(*) from pg_stat_activity where usename = current_user and query like 'LISTEN%'"))
                    .as("the listener listens").isEqualTo(1);
            assertThat(scheduler.health().status()).isIn(Health.Status.UP, Health.Status.DEGRADED);
            try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.execute("alter table pgjobs.jobs add column extra text"))
                        .hasMessageContaining("must be owner of table jobs");
                assertThatThrownBy(() -> s.execute("create table pgjobs.extra (id int)"))
                        .hasMessageContaining("permission denied for schema pgjobs");
            }
        } finally {
            pgjobs.detachAppender(logged);
        }
        assertThat(logged.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .extracting(ILoggingEvent::getFormattedMessage)
                .noneMatch(message -> message.contains("permission denied") || message.contains("must be owner"));
    }

    @Test
    void theViewerReadsWhatTheDashboardShowsAndChangesNothing() throws Exception {
        long job;
        try (HikariDataSource app = pool(APP, "app")) {
            job = Scheduler.builder(app).migrateOnStart(false).buildClient().enqueue(new Privileged(2)).id();
        }
        try (HikariDataSource viewer = pool(VIEWER, "viewer")) {
            AdminClient admin = Scheduler.builder(viewer).migrateOnStart(false).build().admin();
            assertThat(admin.job(job)).isPresent();
            assertThat(admin.jobs(JobFilter.ofStates(JobState.AVAILABLE), PageRequest.first(50)).jobs())
                    .extracting(Job::id).contains(job);
            assertThat(admin.overview(Overview.Span.HOUR)).isNotNull();
            assertThat(admin.queues()).isNotNull();
            assertThat(admin.nodes()).isNotNull();
            assertThat(admin.schedules()).isNotNull();
            assertThat(admin.clocks().schedulesAhead()).isZero();
            assertThatThrownBy(() -> admin.act("viewer", JobAction.CANCEL, job))
                    .isInstanceOf(PgJobsException.class).hasMessageContaining("permission denied for table");
            assertThatThrownBy(() -> Scheduler.builder(viewer).migrateOnStart(false).buildClient()
                    .enqueue(new Privileged(3)))
                    .isInstanceOf(PgJobsException.class).hasMessageContaining("permission denied for table jobs");
        }
    }

    private static HikariDataSource pool(String user, String password) {
        HikariConfig config = new HikariConfig();
        // the URL without its query: the test server's credentials there would override the role's
        String url = url(DATABASE);
        config.setJdbcUrl(url.contains("?") ? url.substring(0, url.indexOf('?')) : url);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(12);
        config.setMinimumIdle(0);
        return new HikariDataSource(config);
    }

    private static String url(String database) {
        return db.jdbcUrl().replaceFirst("/[^/?]+(\\?|$)", "/" + database + "$1");
    }

    private static void admin(String database, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url(database)); Statement s = c.createStatement()) {
            for (String statement : sql.split(";")) {
                if (!statement.isBlank()) {
                    s.execute(statement);
                }
            }
        }
    }

    private static long count(javax.sql.DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
