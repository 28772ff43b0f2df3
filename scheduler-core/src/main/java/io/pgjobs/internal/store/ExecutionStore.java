package io.pgjobs.internal.store;

import static io.pgjobs.internal.db.Tables.JOBS;

import io.pgjobs.JobAttempt.Outcome;
import io.pgjobs.JobState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.Condition;
import org.jooq.JSONB;

/**
 * The worker's hot path: claim, complete, renew leases, put back what a node claimed and never started.
 * Hand-written SQL, prepared once, each call one statement (complete: a lock, then one statement). Also what a running handler saves (its checkpoint and
 * progress), guarded like a completion, in jOOQ's DSL. The claim's SQL is not here but in the database:
 * {@code claim_jobs}, migrations/V10 and V11 (PL/pgSQL), tested by ClaimPlanTest (its plan walks the runnable
 * index in order) and by the crash and cluster tests (no job claimed twice).
 */
public final class ExecutionStore {
    /**
     * A position in a queue's claim order: priority, then due time, then id. The due time is kept as the server
     * printed it ({@code timestamptz} text, which PgJDBC keeps in ISO style, with its offset), and the claim casts
     * it back: parsing it into a Java date made every claim build a calendar, a locale and their caches, on the
     * fetcher's thread, for a value the node only hands back.
     */
    public record ClaimPosition(short priority, String runAt, long id) {}

    /** The jobs one claim took, in claim order, and the position of the last of them (null if none). */
    public record Claim(List<ClaimedJob> jobs, ClaimPosition end) {}

    /** A lease renewal's answer for one job: the attempt of it this node holds, and whether it is to be cancelled. */
    public record LeaseStatus(long jobId, int attempt, boolean cancelRequested) {}

    /** The outcomes as the attempts table stores them, by ordinal: worked out once, not for every completion. */
    private static final String[] OUTCOME_NAMES = Arrays.stream(Outcome.values())
            .map(outcome -> outcome.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);

    /**
     * A claim's rows in claim order. The update in claim_jobs returns them in the order of their addresses; sorted
     * by the server, the node reads each row once and the position of the last one only, instead of reading every
     * row's position and sorting the jobs itself, per job, on the fetcher's thread.
     */
    private static final String CLAIM_ORDER = " order by c.priority, c.run_at, c.id";

    /** Joined to a claim: its implicit transaction commits with synchronous_commit off (see the constructor). */
    private static final String ASYNC_COMMIT = " cross join set_config('synchronous_commit', 'off', true) async";

    private final DataSource dataSource;
    /** The longest any transaction of this store may run, or pause between statements (see Sql#inTransaction). */
    private final Duration transactionLimit;
    private final String claimSql;
    private final String claimGuardedSql;
    private final String completeSql;
    private final String lockCompletingSql;
    private final String renewLeasesSql;
    private final String releaseSql;
    private final String schema;
    private final String notifyChannel;
    private final String resultChannel;

    public ExecutionStore(DataSource dataSource, String schema, String notifyChannel, String resultChannel,
                          Duration transactionLimit) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.notifyChannel = notifyChannel;
        this.resultChannel = resultChannel;
        this.transactionLimit = transactionLimit;
        String jobs = schema + ".jobs";
        // The whole claim is claim_jobs (V10; PL/pgSQL since V11, so a session plans it once): it locks the first
        // runnable jobs of the queue after a position (skipping rows other claims hold) and marks them running in
        // one statement, planned there so that the runnable index is always walked in order, whatever the
        // statistics say.
        // The claim commits without waiting for its WAL to reach the disk (synchronous_commit off for its own
        // transaction, set in the same statement): a claim lost in a database crash only makes its jobs claimable
        // again, and every later durable commit (the jobs' completions first of all) flushes it with itself. The
        // reasoning, and what a crash does: docs/performance.md, "Claims commit asynchronously".
        this.claimSql = ClaimedJob.selectClaimed(schema,
                "%s.claim_jobs(?, ?, ?, ?, ?, ?, ?::timestamptz, ?) c".formatted(schema) + ASYNC_COMMIT) + CLAIM_ORDER;
        // On a node with circuit breakers, the kinds that have one are claimed only while their circuit is closed
        // (docs/flow-control.md); the check reads the circuits in the claim's own snapshot.
        this.claimGuardedSql = ClaimedJob.selectClaimed(schema,
                "%s.claim_jobs(?, ?::text[] || %s, ?, ?, ?, ?, ?::timestamptz, ?) c"
                        .formatted(schema, CircuitStore.closedKindsOf(schema, "?::text[]")) + ASYNC_COMMIT)
                + CLAIM_ORDER;
        // A completion applies only while the job still runs under this node and attempt: a node presumed dead
        // can never overwrite a job that was rescued and handed to another. A cancel request turns any
        // unsuccessful end into 'cancelled'. The attempt row is written in the same statement, from the row the
        // update returns (one batch can hold two completions of one job: one delayed by an outage, and the attempt
        // that ran after the job was rescued); the statement answers with the state each applied completion left
        // its job in. The attempt's end (and a finished job's finished_at) is the claim's start plus the time the
        // node measured from the claim to the handler's end, never later than now(): a completion written late
        // (after an outage, or behind a lock) still says when the job ended, not when it was written. The
        // per-minute statistics of the dashboard's charts are written by it too, and the finished jobs a client
        // waits for (V18) are announced on the results channel. The rows are locked first (lockCompletingSql, see
        // complete()).
        this.completeSql = """
                with done as (
                    update %1$s j
                    set state = case when j.cancel_requested_at is not null and o.state <> 'completed'
                                     then 'cancelled' else o.state end,
                        finished_at = case when o.state in ('completed', 'discarded', 'cancelled')
                                             or (j.cancel_requested_at is not null and o.state <> 'completed')
                                           then least(now(), j.started_at + o.ended_after_ms * interval '1 millisecond')
                                      end,
                        run_at = case when o.state in ('retryable', 'scheduled', 'available')
                                      then now() + o.delay_ms * interval '1 millisecond' else j.run_at end,
                        max_attempts = j.max_attempts + o.attempts_back,
                        result = o.result::jsonb,
                        last_error = coalesce(o.error_class || coalesce(': ' || o.message, ''), j.last_error),
                        lease_expires_at = null
                    from unnest(?::bigint[], ?::int[], ?::text[], ?::text[], ?::bigint[], ?::int[], ?::text[],
                                ?::text[], ?::text[], ?::text[], ?::bigint[])
                         as o(id, attempt, state, outcome, delay_ms, attempts_back, result, error_class, message,
                              stack_trace, ended_after_ms)
                    where j.id = o.id and j.state = 'running' and j.attempt = o.attempt and j.node_id = ?
                    returning j.id, j.attempt, j.started_at, j.state, j.queue, j.kind, o.outcome, o.error_class,
                              o.message, o.stack_trace, j.result_awaited,
                              least(now(), j.started_at + o.ended_after_ms * interval '1 millisecond') as ended_at
                ), recorded as (
                    insert into %2$s.attempts (job_id, attempt, node_id, started_at, finished_at, outcome, error_class,
                                               message, stack_trace)
                    select id, attempt, ?, started_at, ended_at,
                           case when state = 'cancelled' and outcome <> 'completed' then 'cancelled' else outcome end,
                           error_class, message, stack_trace
                    from done
                    -- the guard above admits one end per attempt; should that ever fail, a duplicate row must not
                    -- make the whole batch fail over and over
                    on conflict (job_id, attempt) do nothing
                ), stats as (
                    -- per-minute counts for the dashboard's charts, a row per node (V9) so that the completers
                    -- of different nodes do not wait on each other; rows in key order
                    insert into %2$s.job_stats as s (minute, queue, kind, state, node_id, jobs, duration_ms)
                    select date_trunc('minute', now()), queue, kind, state, ?, count(*),
                           sum((extract(epoch from ended_at - started_at) * 1000)::bigint)
                    from done group by queue, kind, state order by queue, kind, state
                    on conflict (minute, queue, kind, state, node_id)
                    do update set jobs = s.jobs + excluded.jobs, duration_ms = s.duration_ms + excluded.duration_ms
                ), awaited as (
                    select pg_notify(?, id::text) from done
                    where result_awaited and state in ('completed', 'cancelled', 'discarded')
                )
                select id, state from done
                union all
                select null, null from (select count(*) from awaited) sent -- pg_notify runs only if read
                """.formatted(jobs, schema);
        this.lockCompletingSql = "select id from %1$s where id = any(?) order by id for update".formatted(jobs);
        // Rows are locked in id order, as complete() locks them, so renewals and completions never deadlock. The
        // lease runs from the statement's start, not the transaction's: a failed completion renews its jobs'
        // leases late in its transaction (see complete()).
        this.renewLeasesSql = """
                update %1$s set lease_expires_at = statement_timestamp() + ? * interval '1 millisecond'
                where id = any(array(select id from %1$s where id = any(?) and state = 'running' and node_id = ?
                                     order by id for update))
                  and state = 'running' and node_id = ?
                returning id, attempt, cancel_requested_at is not null
                """.formatted(jobs);
        // Claimed jobs a node never started go back as they were before the claim: available, the attempt it
        // counted given back, not started. One with a cancel request stays running, for the rescuer to cancel once
        // its lease runs out, as it does for any running job whose node is gone.
        // Jobs put back are announced as new ones are: the other nodes of their queues may be idle, waiting for a
        // notification (or for the poll interval), and a partition's or an ordered key's next job may be among
        // them. Unguarded by the busy promises (as the rescue's): put-backs are rare, and come from a node that
        // stops or whose slots stay full, when the others are the ones to run them.
        this.releaseSql = """
                with released as (
                    update %1$s j set state = 'available', attempt = j.attempt - 1, node_id = null, started_at = null,
                                      lease_expires_at = null
                    from unnest(?::bigint[], ?::int[]) as r(id, attempt)
                    where j.id = r.id and j.attempt = r.attempt and j.state = 'running' and j.node_id = ?
                      and j.cancel_requested_at is null
                    returning j.queue
                )
                select count(pg_notify(?, 'q:' || queue)) from (select distinct queue from released) q
                """.formatted(jobs);
    }

    /**
     * Claims up to {@code limit} runnable jobs of {@code queue} whose kinds this node handles, in claim order
     * after {@code after} (from the head of the queue when null): jobs of {@code kinds}, and of
     * {@code guardedKinds} (kinds with a circuit breaker) while their circuit is closed.
     */
    public Claim claim(String queue, List<String> kinds, List<String> guardedKinds, int limit, String nodeId,
                       long leaseMs, ClaimPosition after) throws SQLException {
        String sql = guardedKinds.isEmpty() ? claimSql : claimGuardedSql;
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                int p = CircuitStore.bindClaim(ps, connection, queue, kinds, guardedKinds, limit, nodeId, leaseMs);
                ps.setObject(p++, after == null ? null : after.priority(), Types.SMALLINT);
                ps.setString(p++, after == null ? null : after.runAt());
                ps.setObject(p, after == null ? null : after.id(), Types.BIGINT);
                List<ClaimedJob> claimed = new ArrayList<>(limit);
                ClaimPosition end = null;
                long sentNanos = System.nanoTime();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        claimed.add(ClaimedJob.read(rs, sentNanos));
                        if (rs.isLast()) {
                            end = new ClaimPosition(rs.getShort(9), rs.getString(10), rs.getLong(1));
                        }
                    }
                }
                return new Claim(claimed, end);
            }
        });
    }

    /**
     * Writes many completions and their attempt rows in one statement; returns the state each applied one left
     * its job in, by job id (a completion that no longer applied is missing). If the statement fails (its
     * timeout, a deadlock) on a live connection, the jobs' leases are renewed for {@code lease} before their rows
     * are let go, and the failure is thrown.
     */
    public Map<Long, JobState> complete(List<Completion> completions, String nodeId, Duration lease)
            throws SQLException {
        return complete(completions, nodeId, lease, (connection, written) -> { });
    }

    /** What a completion's transaction does after its statement: told what it wrote, as {@link #complete} answers. */
    @FunctionalInterface
    public interface AfterWrite {
        void run(Connection connection, Map<Long, JobState> written) throws SQLException;
    }

    /**
     * Like {@link #complete(List, String, Duration)}, and runs {@code afterWrite} in the same transaction once the
     * completions are written, so that what it does commits with them or not at all (a failure of it is the
     * completion's).
     */
    public Map<Long, JobState> complete(List<Completion> completions, String nodeId, Duration lease,
                                        AfterWrite afterWrite) throws SQLException {
        Long[] ids = new Long[completions.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = completions.get(i).jobId();
        }
        // Lock the rows in a statement of their own first. An UPDATE joined to its input rows that meets a row a
        // concurrent transaction (a lease renewal, say) changed after the statement began rechecks the join with
        // EvalPlanQual, and then can skip the row or write its attempt twice (the crash test found doubled attempt
        // rows; CompletionRaceTest races this). Once the rows are locked, the update's fresh snapshot sees their
        // latest versions and nothing else can change them.
        // While the rows are locked the rescuer skips them, and the lease keeper leaves them to this completion
        // (HeldJobs), so their leases may run out meanwhile: a completion that fails rolls back to the savepoint,
        // which keeps the rows locked, renews their leases, and commits that, so the jobs are never rescued
        // between a failed completion and the next renewal (and never run twice for it).
        CompletionOutcome outcome = Sql.inTransaction(dataSource, transactionLimit, connection -> {
            try (PreparedStatement lock = Sql.prepareForArrays(connection, lockCompletingSql)) {
                lock.setArray(1, connection.createArrayOf("int8", ids));
                lock.execute();
            }
            Savepoint locked = connection.setSavepoint();
            try {
                Map<Long, JobState> written = writeCompletions(connection, completions, ids, nodeId);
                afterWrite.run(connection, written);
                return new CompletionOutcome(written, null);
            } catch (SQLException failure) {
                if (ConnectionErrors.isConnectionError(failure)) {
                    throw failure;
                }
                connection.rollback(locked);
                renew(connection, ids, nodeId, lease.toMillis());
                return new CompletionOutcome(null, failure);
            }
        });
        if (outcome.failure() != null) {
            throw outcome.failure();
        }
        return outcome.written();
    }

    /** What a completion's transaction wrote, or the failure after which it only renewed the jobs' leases. */
    private record CompletionOutcome(Map<Long, JobState> written, SQLException failure) {}

    private Map<Long, JobState> writeCompletions(Connection connection, List<Completion> completions, Long[] ids,
                                                 String nodeId) throws SQLException {
        int n = completions.size();
        Integer[] attempts = new Integer[n], attemptsBack = new Integer[n];
        String[] states = new String[n], outcomes = new String[n], results = new String[n], classes = new String[n],
                messages = new String[n], stacks = new String[n];
        Long[] delays = new Long[n], endedAfter = new Long[n];
        for (int i = 0; i < n; i++) {
            Completion c = completions.get(i);
            attempts[i] = c.attempt();
            states[i] = c.state().dbName();
            outcomes[i] = OUTCOME_NAMES[c.outcome().ordinal()];
            delays[i] = c.delayMs();
            attemptsBack[i] = c.attemptsBack();
            results[i] = c.resultJson();
            classes[i] = c.errorClass();
            messages[i] = c.message();
            stacks[i] = c.stackTrace();
            endedAfter[i] = c.endedAfterMs();
        }
        try (PreparedStatement ps = Sql.prepareForArrays(connection, completeSql)) {
            ps.setArray(1, connection.createArrayOf("int8", ids));
            ps.setArray(2, connection.createArrayOf("int4", attempts));
            ps.setArray(3, connection.createArrayOf("text", states));
            ps.setArray(4, connection.createArrayOf("text", outcomes));
            ps.setArray(5, connection.createArrayOf("int8", delays));
            ps.setArray(6, connection.createArrayOf("int4", attemptsBack));
            ps.setArray(7, connection.createArrayOf("text", results));
            ps.setArray(8, connection.createArrayOf("text", classes));
            ps.setArray(9, connection.createArrayOf("text", messages));
            ps.setArray(10, connection.createArrayOf("text", stacks));
            ps.setArray(11, connection.createArrayOf("int8", endedAfter));
            ps.setString(12, nodeId);
            ps.setString(13, nodeId);
            ps.setString(14, nodeId);
            ps.setString(15, resultChannel);
            Map<Long, JobState> written = new HashMap<>(n * 2);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    if (!rs.wasNull()) {
                        written.put(id, JobState.fromDb(rs.getString(2)));
                    }
                }
            }
            return written;
        }
    }

    /**
     * Renews the leases of {@code jobIds} held by {@code nodeId}, whatever their attempt; the answer says which
     * attempt of each this node holds, and jobs missing from it are not this node's (not running here, or lost).
     */
    public List<LeaseStatus> renewLeases(List<Long> jobIds, String nodeId, long leaseMs) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> renew(connection, jobIds.toArray(Long[]::new), nodeId, leaseMs));
    }

    private List<LeaseStatus> renew(Connection connection, Long[] jobIds, String nodeId, long leaseMs)
            throws SQLException {
        try (PreparedStatement ps = Sql.prepareForArrays(connection, renewLeasesSql)) {
            ps.setLong(1, leaseMs);
            ps.setArray(2, connection.createArrayOf("int8", jobIds));
            ps.setString(3, nodeId);
            ps.setString(4, nodeId);
            List<LeaseStatus> renewed = new ArrayList<>(jobIds.length);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    renewed.add(new LeaseStatus(rs.getLong(1), rs.getInt(2), rs.getBoolean(3)));
                }
            }
            return renewed;
        }
    }

    /**
     * Puts back claimed jobs that {@code nodeId} never started (see {@code QueueFetcher}'s buffer). A job no
     * longer running under that node and attempt is left alone.
     */
    public void release(List<ClaimedJob> jobs, String nodeId) throws SQLException {
        Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = Sql.prepareForArrays(connection, releaseSql)) {
                ps.setArray(1, connection.createArrayOf("int8", jobs.stream().map(ClaimedJob::id).toArray()));
                ps.setArray(2, connection.createArrayOf("int4", jobs.stream().map(ClaimedJob::attempt).toArray()));
                ps.setString(3, nodeId);
                ps.setString(4, notifyChannel);
                ps.executeQuery().close();
                return null;
            }
        });
    }

    // ---- what a running handler saves -----------------------------------------------------------------------

    /**
     * Saves the checkpoint of a running attempt; false when {@code nodeId} no longer runs that attempt (the job
     * was rescued, cancelled or finished meanwhile), and then nothing was written.
     */
    public boolean saveCheckpoint(long jobId, int attempt, String nodeId, String checkpointJson) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> Sql.dsl(connection, schema).update(JOBS)
                .set(JOBS.CHECKPOINT, JSONB.jsonb(checkpointJson))
                .where(runningAttempt(jobId, attempt, nodeId))
                .execute() == 1);
    }

    /** Saves the progress of a running attempt; false, with nothing written, as for {@link #saveCheckpoint}. */
    public boolean saveProgress(long jobId, int attempt, String nodeId, int percent, String message)
            throws SQLException {
        return Sql.autoCommit(dataSource, connection -> Sql.dsl(connection, schema).update(JOBS)
                .set(JOBS.PROGRESS, (short) percent)
                .set(JOBS.PROGRESS_MESSAGE, message)
                .where(runningAttempt(jobId, attempt, nodeId))
                .execute() == 1);
    }

    /** The last checkpoint saved for a job by any of its attempts, as JSON. */
    public Optional<String> checkpoint(long jobId) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> Sql.dsl(connection, schema).select(JOBS.CHECKPOINT)
                .from(JOBS).where(JOBS.ID.eq(jobId))
                .fetchOptional(JOBS.CHECKPOINT).map(JSONB::data));
    }

    /** The guard of every write by a running attempt, as for a completion: still running, same node and attempt. */
    private static Condition runningAttempt(long jobId, int attempt, String nodeId) {
        return JOBS.ID.eq(jobId).and(JOBS.STATE.eq(JobState.RUNNING.dbName())).and(JOBS.ATTEMPT.eq(attempt))
                .and(JOBS.NODE_ID.eq(nodeId));
    }
}
