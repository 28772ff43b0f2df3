package io.pgjobs.soak;

import io.pgjobs.JobContext;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.NonRetryableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The soak's job kinds and what their handlers do. Every handler first appends a row to
 * {@code soak.executions} in a transaction of its own, like a real side effect, so the checker can count how
 * often each attempt really ran, whatever pgjobs recorded.
 */
final class SoakJobs {
    /** The metadata key of a job's payload checksum: the SHA-256 of its args as the producer made them. */
    static final String CHECKSUM = "soak.sha256";
    /** How a handler's check of the payload fails (the job is discarded): the checker looks for it. */
    static final String CHECKSUM_MISMATCH = "soak: payload checksum mismatch";

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

    static Void tick(DataSource dataSource, JobContext<Tick> ctx) throws Exception {
        logExecution(dataSource, ctx, null);
        return null;
    }

    /**
     * A request for {@code args} carrying the SHA-256 of the args' text ({@code toString()} of the record: its
     * every field) in metadata, which every handler checks before it runs: args damaged anywhere between the
     * producer and the handler (serialization, storage, the claim) fail it.
     */
    static JobRequest checksummed(Record args) {
        return JobRequest.of(args).metadata(CHECKSUM, sha256(args));
    }

    static String sha256(Record args) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(args.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Discards the job (no retry would help) when its args are not what the producer checksummed. */
    private static void verifyPayload(JobContext<?> ctx) {
        Object expected = ctx.metadata().get(CHECKSUM);
        if (expected != null && !expected.equals(sha256((Record) ctx.args()))) {
            throw new NonRetryableException(CHECKSUM_MISMATCH + ": args " + ctx.args() + " have SHA-256 "
                    + sha256((Record) ctx.args()) + ", enqueued with " + expected);
        }
    }

    private static void logExecution(DataSource dataSource, JobContext<?> ctx, Integer checkpoint) throws SQLException {
        verifyPayload(ctx);
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "insert into soak.executions (job_id, attempt, node, checkpoint) values (?, ?, ?, ?)")) {
            ps.setLong(1, ctx.jobId());
            ps.setInt(2, ctx.attempt());
            ps.setString(3, ctx.nodeId());
            ps.setObject(4, checkpoint);
            ps.executeUpdate();
        }
    }

    private SoakJobs() {}
}
