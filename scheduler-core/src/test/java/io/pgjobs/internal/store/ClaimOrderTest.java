package io.pgjobs.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgjobs.internal.store.ExecutionStore.Claim;
import io.pgjobs.internal.store.ExecutionStore.ClaimPosition;
import io.pgjobs.testing.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A claim hands its jobs to the node in claim order (priority, then due time, then id) however the update
 * returned them, and the position it ends at, kept as the server's text of the due time, resumes the next claim
 * exactly there: due times a microsecond apart, in a session whose time zone is half an hour off the hour, are
 * neither skipped nor taken twice.
 */
class ClaimOrderTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    @BeforeEach
    void clean() throws Exception {
        db.execute("truncate pgjobs.jobs");
    }

    @Test
    void claimsTakeTheJobsInClaimOrderAndResumeExactlyAfterTheLastOne() throws Exception {
        // ids in one order, claim order another: priorities and due times (a microsecond apart) jumbled by the id
        db.execute("""
                insert into pgjobs.jobs (kind, priority, run_at)
                select 'k', (i * 7 % 3)::smallint,
                       timestamptz '2026-01-01 00:00:00.000001+00' + (i * 37 % 50) * interval '1 microsecond'
                from generate_series(1, 200) i""");
        List<Long> claimOrder = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id from pgjobs.jobs order by priority, run_at, id")) {
            while (rs.next()) {
                claimOrder.add(rs.getLong(1));
            }
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setMaximumPoolSize(1);
        config.setConnectionInitSql("set time zone 'Asia/Kolkata'");
        try (HikariDataSource pool = new HikariDataSource(config)) {
            ExecutionStore store = new ExecutionStore(pool, PgDatabase.SCHEMA, "pgjobs_pgjobs", "pgjobs_results_pgjobs",
                    Duration.ofMinutes(1));
            List<Long> claimed = new ArrayList<>();
            ClaimPosition after = null;
            Claim claim;
            do {
                claim = store.claim("default", List.of("k"), List.of(), 7, "n", 60_000, after);
                claim.jobs().forEach(job -> claimed.add(job.id()));
                after = claim.end();
                if (!claim.jobs().isEmpty()) {
                    assertThat(after.id()).as("the position is the last job's").isEqualTo(claim.jobs().getLast().id());
                    assertThat(after.runAt()).as("the due time as the session prints it").endsWith("+05:30");
                }
            } while (claim.jobs().size() == 7);

            assertThat(claimed).containsExactlyElementsOf(claimOrder);
        }
    }
}
