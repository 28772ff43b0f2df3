package io.pgjobs.internal.store;

import static io.pgjobs.internal.db.Tables.ATTEMPTS;
import static io.pgjobs.internal.db.Tables.JOBS;

import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobState;
import io.pgjobs.internal.db.tables.records.JobsRecord;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * One job at a time, by id: reads (the job, its attempts) and the actions of {@code JobClient} (cancel, retry,
 * delete), each in its own transaction, in jOOQ's DSL over the classes generated from the migrations.
 */
public final class JobStore {
    private final DataSource dataSource;
    private final String schema;
    private final String notifyChannel;

    public JobStore(DataSource dataSource, String schema, String notifyChannel) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.notifyChannel = notifyChannel;
    }

    public Optional<Job> get(long id) throws SQLException {
        return Sql.autoCommit(dataSource, connection ->
                Sql.dsl(connection, schema).selectFrom(JOBS).where(JOBS.ID.eq(id)).fetchOptional().map(JobRows::toJob));
    }

    public List<JobAttempt> attempts(long jobId) throws SQLException {
        return Sql.autoCommit(dataSource, connection ->
                Sql.dsl(connection, schema).selectFrom(ATTEMPTS).where(ATTEMPTS.JOB_ID.eq(jobId))
                        .orderBy(ATTEMPTS.ATTEMPT).fetch(JobRows::toAttempt));
    }

    /**
     * What a cancel did: {@code applied} is false when there was nothing to cancel; a job cancelled before it
     * started comes with its kind, queue and attempt (a running one only gets the request, and is reported
     * when its attempt ends).
     */
    public record Cancellation(boolean applied, boolean beforeStart, String kind, String queue, int attempt) {
        static final Cancellation NOTHING = new Cancellation(false, false, null, null, 0);
        static final Cancellation REQUESTED = new Cancellation(true, false, null, null, 0);
    }

    /**
     * Cancels a job that has not started, or asks a running one to stop (its node sees the request through
     * the notification channel or its next lease renewal).
     */
    public Cancellation cancel(long id) throws SQLException {
        return Sql.inTransaction(dataSource, connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            Optional<JobsRecord> pending = dsl.update(JOBS)
                    .set(JOBS.STATE, JobState.CANCELLED.dbName())
                    .set(JOBS.FINISHED_AT, DSL.currentOffsetDateTime())
                    .set(JOBS.CANCEL_REQUESTED_AT, DSL.currentOffsetDateTime())
                    .where(JOBS.ID.eq(id)).and(JOBS.STATE.in(runnableStates()))
                    .returning(JOBS.KIND, JOBS.QUEUE, JOBS.ATTEMPT)
                    .fetchOptional();
            if (pending.isPresent()) {
                JobsRecord job = pending.get();
                return new Cancellation(true, true, job.getKind(), job.getQueue(), job.getAttempt());
            }
            int running = dsl.update(JOBS)
                    .set(JOBS.CANCEL_REQUESTED_AT, DSL.coalesce(JOBS.CANCEL_REQUESTED_AT, DSL.currentOffsetDateTime()))
                    .where(JOBS.ID.eq(id)).and(JOBS.STATE.eq(JobState.RUNNING.dbName()))
                    .execute();
            if (running > 0) {
                notify(dsl, "c:" + id);
                return Cancellation.REQUESTED;
            }
            return Cancellation.NOTHING;
        });
    }

    /** Makes a job that is not running available now, granting one more attempt if it had none left. */
    public boolean retry(long id) throws SQLException {
        return Sql.inTransaction(dataSource, connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            Optional<String> queue = dsl.update(JOBS)
                    .set(JOBS.STATE, JobState.AVAILABLE.dbName())
                    .set(JOBS.RUN_AT, DSL.currentOffsetDateTime())
                    .set(JOBS.MAX_ATTEMPTS, DSL.greatest(JOBS.MAX_ATTEMPTS, JOBS.ATTEMPT.plus(1)))
                    .setNull(JOBS.FINISHED_AT)
                    .setNull(JOBS.CANCEL_REQUESTED_AT)
                    .where(JOBS.ID.eq(id)).and(JOBS.STATE.ne(JobState.RUNNING.dbName()))
                    .returning(JOBS.QUEUE)
                    .fetchOptional().map(JobsRecord::getQueue);
            queue.ifPresent(q -> notify(dsl, "q:" + q));
            return queue.isPresent();
        });
    }

    public boolean delete(long id) throws SQLException {
        return Sql.inTransaction(dataSource, connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            int deleted = dsl.deleteFrom(JOBS).where(JOBS.ID.eq(id)).and(JOBS.STATE.ne(JobState.RUNNING.dbName())).execute();
            if (deleted > 0) {
                dsl.deleteFrom(ATTEMPTS).where(ATTEMPTS.JOB_ID.eq(id)).execute();
            }
            return deleted > 0;
        });
    }

    /** Sends a notification on pgjobs' channel, delivered when the surrounding transaction commits. */
    private void notify(DSLContext dsl, String payload) {
        Sql.notify(dsl, notifyChannel, payload);
    }

    private static List<String> runnableStates() {
        return JobState.RUNNABLE.stream().map(JobState::dbName).toList();
    }
}
