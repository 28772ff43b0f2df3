package io.pgjobs.internal.store;

import static io.pgjobs.internal.db.Tables.ATTEMPTS;
import static io.pgjobs.internal.db.Tables.JOBS;

import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobState;
import io.pgjobs.internal.db.tables.records.JobsRecord;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * One job at a time, by id: reads (the job, its attempts) and the actions of {@code JobClient} (cancel, retry,
 * delete, marking a job awaited for {@code awaitResult}), each in its own transaction, in jOOQ's DSL over the
 * classes generated from the migrations.
 */
public final class JobStore {
    /** The SQLSTATE of a unique index's violation. */
    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    /** The longest any transaction of this store may run, or pause between statements (see Sql#inTransaction). */
    private final Duration transactionLimit;
    private final String schema;
    private final String notifyChannel;
    private final String resultChannel;

    public JobStore(DataSource dataSource, String schema, String notifyChannel, String resultChannel,
                    Duration transactionLimit) {
        this.dataSource = dataSource;
        this.transactionLimit = transactionLimit;
        this.schema = schema;
        this.notifyChannel = notifyChannel;
        this.resultChannel = resultChannel;
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
     * Marks a job as awaited, so that the statement that finishes it notifies the results channel (V18), and
     * returns it as it is once marked (empty if there is no such job). A job that finishes concurrently is
     * either marked before it finishes (and then notifies) or returned finished.
     */
    public Optional<Job> markAwaited(long id) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> Sql.dsl(connection, schema).update(JOBS)
                .set(JOBS.RESULT_AWAITED, true).where(JOBS.ID.eq(id))
                .returning().fetchOptional().map(JobRows::toJob));
    }

    /** The jobs among {@code ids} that have finished, and those of {@code ids} that no longer exist. */
    public record Finished(List<Job> jobs, Set<Long> missing) {}

    public Finished finished(Set<Long> ids) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            Set<Long> missing = new HashSet<>(ids);
            List<Job> finished = new ArrayList<>();
            Sql.dsl(connection, schema).selectFrom(JOBS).where(JOBS.ID.in(ids)).forEach(r -> {
                missing.remove(r.getId());
                Job job = JobRows.toJob(r);
                if (job.state().isFinished()) {
                    finished.add(job);
                }
            });
            return new Finished(finished, missing);
        });
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
        return Sql.inTransaction(dataSource, transactionLimit, connection -> cancel(Sql.dsl(connection, schema), id));
    }

    /** {@link #cancel(long)} in the transaction of {@code dsl} (an operator's action and its audit entry). */
    Cancellation cancel(DSLContext dsl, long id) {
        Optional<JobsRecord> pending = dsl.update(JOBS)
                .set(JOBS.STATE, JobState.CANCELLED.dbName())
                .set(JOBS.FINISHED_AT, DSL.currentOffsetDateTime())
                .set(JOBS.CANCEL_REQUESTED_AT, DSL.currentOffsetDateTime())
                .where(JOBS.ID.eq(id)).and(JOBS.STATE.in(notStartedStates()))
                .returning(JOBS.KIND, JOBS.QUEUE, JOBS.ATTEMPT, JOBS.RESULT_AWAITED)
                .fetchOptional();
        if (pending.isPresent()) {
            JobsRecord job = pending.get();
            if (job.getResultAwaited()) {
                Sql.notify(dsl, resultChannel, Long.toString(id));
            }
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
    }

    /**
     * Makes a job that is neither running nor pending available now, granting one more attempt if it had none left. A finished
     * unique job takes its unique key back (see V17); when another job holds it meanwhile, the retry fails with
     * {@link IllegalStateException} and changes nothing.
     */
    public boolean retry(long id) throws SQLException {
        return Sql.inTransaction(dataSource, transactionLimit, connection -> {
            try {
                return retry(Sql.dsl(connection, schema), id);
            } catch (DataAccessException e) {
                if (UNIQUE_VIOLATION.equals(e.sqlState())) {
                    throw new IllegalStateException("job " + id + " cannot be retried: another job holds its unique "
                            + "key (" + e.getCause().getMessage() + ")", e);
                }
                throw e;
            }
        });
    }

    /** {@link #retry(long)} in the transaction of {@code dsl} (an operator's action and its audit entry). */
    boolean retry(DSLContext dsl, long id) {
        Optional<String> queue = dsl.update(JOBS)
                .set(JOBS.STATE, JobState.AVAILABLE.dbName())
                .set(JOBS.RUN_AT, DSL.currentOffsetDateTime())
                .set(JOBS.MAX_ATTEMPTS, DSL.greatest(JOBS.MAX_ATTEMPTS, JOBS.ATTEMPT.plus(1)))
                .setNull(JOBS.FINISHED_AT)
                .setNull(JOBS.CANCEL_REQUESTED_AT)
                // a pending workflow step runs when its dependencies release it (V25), never before
                .where(JOBS.ID.eq(id)).and(JOBS.STATE.notIn(JobState.RUNNING.dbName(), JobState.PENDING.dbName()))
                .returning(JOBS.QUEUE)
                .fetchOptional().map(JobsRecord::getQueue);
        queue.ifPresent(q -> notify(dsl, "q:" + q));
        return queue.isPresent();
    }

    public boolean delete(long id) throws SQLException {
        return Sql.inTransaction(dataSource, transactionLimit, connection -> delete(Sql.dsl(connection, schema), id));
    }

    boolean delete(DSLContext dsl, long id) {
        int deleted = dsl.deleteFrom(JOBS).where(JOBS.ID.eq(id)).and(JOBS.STATE.ne(JobState.RUNNING.dbName())).execute();
        if (deleted > 0) {
            dsl.deleteFrom(ATTEMPTS).where(ATTEMPTS.JOB_ID.eq(id)).execute();
        }
        return deleted > 0;
    }

    /** Sends a notification on pgjobs' channel, delivered when the surrounding transaction commits. */
    private void notify(DSLContext dsl, String payload) {
        Sql.notify(dsl, notifyChannel, payload);
    }

    /** The runnable states, and a workflow step's pending one (cancelling it cancels its dependants, V25). */
    private static List<String> notStartedStates() {
        return Stream.concat(JobState.RUNNABLE.stream(), Stream.of(JobState.PENDING)).map(JobState::dbName).toList();
    }
}
