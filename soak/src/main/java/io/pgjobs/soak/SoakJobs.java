package io.pgjobs.soak;

import io.pgjobs.CircuitBreaker;
import io.pgjobs.JobContext;
import io.pgjobs.JobHandler;
import io.pgjobs.JobKind;
import io.pgjobs.RateLimit;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The soak's job kinds and what their handlers do. Every handler first appends a row to
 * {@code soak.executions} in a transaction of its own, like a real side effect, so the checker can count how
 * often each attempt really ran, whatever pgjobs recorded.
 */
final class SoakJobs {
    /** Where pgjobs' own payload check (V34) says a job's args were changed after its enqueue: the checker looks for it. */
    static final String CHECKSUM_MISMATCH = "args checksum mismatch";

    /** The injected failure's message: the checker tells these failed attempts from the faults' ones. */
    static final String INJECTED_FAILURE = "soak: injected failure";

    /**
     * Sleeps {@code millis}, then fails if {@link #fails} says so for this attempt. {@code key} is what the unique
     * jobs share (the others have none).
     */
    @JobKind("soak.work")
    record Work(long millis, int failPercent, Integer key) {}

    /** Walks {@code steps} steps of {@code stepMillis}, saving a checkpoint after each; resumes from the last one. */
    @JobKind("soak.checkpointed")
    record Checkpointed(int steps, long stepMillis) {}

    /**
     * A business transaction: adds one to account {@code account}'s row and holds that row's lock for
     * {@code millis} before committing, so that a node frozen while it runs is frozen inside an open transaction.
     */
    @JobKind("soak.transfer")
    record Transfer(int account, long millis) {}

    /** Holds {@code connections} connections of its node's pool for {@code millis}: enough of them fill the pool. */
    @JobKind("soak.hog")
    record Hog(int connections, long millis) {}

    /**
     * A call to a partner that is down {@value #PARTNER_DOWN_SECONDS} s of every {@value #PARTNER_CYCLE_SECONDS}
     * (by the database's clock): its failures come in bursts, and its kind has a circuit breaker.
     */
    @JobKind("soak.partner")
    record Partner(int call) {}

    /** Sleeps {@code millis} under a handler timeout of {@link #HANDLER_TIMEOUT}: longer ones time out. */
    @JobKind("soak.timed")
    record Timed(long millis) {}

    /** What the every-second schedule fires. */
    @JobKind("soak.tick")
    record Tick() {}

    static final String TICK_SCHEDULE = "soak-tick";
    /** A queue with a cluster-wide limit and a limit per partition (the Work's key); the limits are below. */
    static final String LIMITED_QUEUE = "soak-limited";
    static final int LIMITED_QUEUE_LIMIT = 3;
    static final int LIMITED_PARTITION_LIMIT = 1;
    /** A queue whose jobs carry ordering keys. */
    static final String ORDERED_QUEUE = "soak-ordered";
    /** A queue with a cluster-wide rate limit of {@value #RATE_PER_SECOND} starts a second, burst {@value #RATE_BURST}. */
    static final String RATED_QUEUE = "soak-rated";
    static final int RATE_PER_SECOND = 3;
    static final int RATE_BURST = 3;
    static final RateLimit RATE = RateLimit.of(RATE_PER_SECOND, Duration.ofSeconds(1)).burst(RATE_BURST);
    /** The partner's outages, by the database's clock: down for the first seconds of each cycle. */
    static final int PARTNER_CYCLE_SECONDS = 60;
    static final int PARTNER_DOWN_SECONDS = 15;
    static final String PARTNER_DOWN = "soak: partner down";
    static final CircuitBreaker PARTNER_BREAKER = CircuitBreaker.afterConsecutiveFailures(3).coolDown(Duration.ofSeconds(3));
    static final Duration HANDLER_TIMEOUT = Duration.ofMillis(500);
    /** Rows of {@code soak.accounts} the transfers update. */
    static final int ACCOUNTS = 10;

    /**
     * Whether an attempt fails: a pure function of the job and the attempt number, so a retry of a job whose
     * attempt failed can succeed, and the checker can tell an injected failure from any other.
     */
    static boolean fails(long jobId, int attempt, int failPercent) {
        long mix = (jobId * 0x9E3779B97F4A7C15L) ^ (attempt * 0xC2B2AE3D27D4EB4FL);
        return Math.floorMod(mix ^ (mix >>> 29), 100) < failPercent;
    }

    static Void work(DataSource dataSource, JobContext<Work> ctx) throws Exception {
        logExecution(dataSource, ctx, null);
        Thread.sleep(ctx.args().millis());
        if (fails(ctx.jobId(), ctx.attempt(), ctx.args().failPercent())) {
            throw new IllegalStateException(INJECTED_FAILURE);
        }
        return null;
    }

    static Void checkpointed(DataSource dataSource, JobContext<Checkpointed> ctx) throws Exception {
        int from = ctx.checkpointAs(Integer.class).orElse(0);
        logExecution(dataSource, ctx, from);
        for (int step = from; step < ctx.args().steps(); step++) {
            Thread.sleep(ctx.args().stepMillis());
            ctx.checkpoint(step + 1);
            ctx.progress(100 * (step + 1) / ctx.args().steps(), "step " + (step + 1));
        }
        return null;
    }

    static Void transfer(DataSource dataSource, JobContext<Transfer> ctx) throws Exception {
        logExecution(dataSource, ctx, null);
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("update soak.accounts set transfers = transfers + 1 where id = ?")) {
            c.setAutoCommit(false);
            ps.setInt(1, ctx.args().account());
            ps.executeUpdate();
            Thread.sleep(ctx.args().millis()); // the transaction's own work, its row lock held
            c.commit();
        }
        return null;
    }

    static Void hog(DataSource dataSource, JobContext<Hog> ctx) throws Exception {
        logExecution(dataSource, ctx, null);
        List<Connection> held = new ArrayList<>();
        try {
            for (int i = 0; i < ctx.args().connections(); i++) {
                held.add(dataSource.getConnection());
            }
            Thread.sleep(ctx.args().millis());
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
        return null;
    }

    static Void partner(DataSource dataSource, JobContext<Partner> ctx) throws Exception {
        Instant at = logExecution(dataSource, ctx, null);
        if (partnerDown(at)) {
            throw new IllegalStateException(PARTNER_DOWN);
        }
        return null;
    }

    static boolean partnerDown(Instant at) {
        return at.getEpochSecond() % PARTNER_CYCLE_SECONDS < PARTNER_DOWN_SECONDS;
    }

    /** The handler of {@link Timed} jobs, with its timeout. */
    static JobHandler<Timed> timed(DataSource dataSource) {
        return new JobHandler<>() {
            @Override
            public Object handle(JobContext<Timed> ctx) throws Exception {
                logExecution(dataSource, ctx, null);
                Thread.sleep(ctx.args().millis()); // interrupted by the timeout when longer
                return null;
            }

            @Override
            public Duration timeout() {
                return HANDLER_TIMEOUT;
            }
        };
    }

    static Void tick(DataSource dataSource, JobContext<Tick> ctx) throws Exception {
        logExecution(dataSource, ctx, null);
        return null;
    }

    /** Appends this run to the execution log; returns the database's time of the row. */
    private static Instant logExecution(DataSource dataSource, JobContext<?> ctx, Integer checkpoint) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "insert into soak.executions (job_id, attempt, node, checkpoint) values (?, ?, ?, ?) returning at")) {
            ps.setLong(1, ctx.jobId());
            ps.setInt(2, ctx.attempt());
            ps.setString(3, ctx.nodeId());
            ps.setObject(4, checkpoint);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getObject(1, OffsetDateTime.class).toInstant();
            }
        }
    }

    private SoakJobs() {}
}
