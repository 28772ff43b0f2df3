package io.pgjobs.soak;

import io.pgjobs.JobContext;
import io.pgjobs.JobKind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The soak's job kinds and what their handlers do. Every handler first appends a row to
 * {@code soak.executions} in a transaction of its own, like a real side effect, so the checker can count how
 * often each attempt really ran, whatever pgjobs recorded.
 */
final class SoakJobs {
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

    /** What the every-second schedule fires. */
    @JobKind("soak.tick")
    record Tick() {}

    static final String TICK_SCHEDULE = "soak-tick";

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

    static Void tick(DataSource dataSource, JobContext<Tick> ctx) throws Exception {
        logExecution(dataSource, ctx, null);
        return null;
    }

    private static void logExecution(DataSource dataSource, JobContext<?> ctx, Integer checkpoint) throws SQLException {
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
