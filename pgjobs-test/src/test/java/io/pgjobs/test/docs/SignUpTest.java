package io.pgjobs.test.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobClient;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.test.PgJobsExtension;
import io.pgjobs.test.PgJobsTestKit;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** docs/testing.md's example, run as the test it is (TestingDocSnippetsTest checks the page shows this code). */
// snippet docs/testing.md#1
@JobKind("email.welcome")
record SendWelcome(String email) {}

/** Signs a user up: the user's row and the welcome job commit together. */
record Accounts(DataSource dataSource, JobClient jobs) {
    void signUp(String email) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement insert = c.prepareStatement("insert into users (email) values (?)")) {
                insert.setString(1, email);
                insert.executeUpdate();
            }
            jobs.enqueue(c, JobRequest.of(new SendWelcome(email)));
            c.commit();
        }
    }
}
// end snippet

// snippet docs/testing.md#2
class SignUpTest {
    static final List<String> welcomed = new CopyOnWriteArrayList<>();

    @RegisterExtension
    static final PgJobsExtension pgjobs = PgJobsExtension.embedded()
            .setUpDatabase(db -> {
                try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
                    s.execute("create table users (email text primary key)");
                }
            })
            .scheduler(builder -> builder.queue("default", 2)
                    .handler(SendWelcome.class, ctx -> welcomed.add(ctx.args().email())));

    @BeforeEach
    void forget() {
        welcomed.clear();
    }

    @Test
    void signingUpSendsAWelcome(PgJobsTestKit kit) throws SQLException {
        new Accounts(kit.dataSource(), kit.client()).signUp("ada@example.com");

        kit.assertEnqueued(SendWelcome.class, welcome -> welcome.email().equals("ada@example.com"));
        assertThat(welcomed).isEmpty();         // jobs run only inside drain()

        kit.drain();
        kit.assertNoFailedJobs();
        assertThat(welcomed).containsExactly("ada@example.com");
    }

    @Test
    void aDelayedJobRunsOnceItsTimeHasCome(PgJobsTestKit kit) {
        kit.client().enqueue(JobRequest.of(new SendWelcome("bob@example.com")).delay(Duration.ofDays(1)));
        kit.drain();
        assertThat(welcomed).isEmpty();

        kit.advanceTime(Duration.ofDays(1));
        kit.drain();
        assertThat(welcomed).containsExactly("bob@example.com");
    }
}
// end snippet
