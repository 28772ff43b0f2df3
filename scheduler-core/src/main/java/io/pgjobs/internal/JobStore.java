package io.pgjobs.internal;

import static io.pgjobs.internal.db.Tables.ATTEMPTS;
import static io.pgjobs.internal.db.Tables.JOBS;

import io.pgjobs.EnqueueResult;
import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobState;
import io.pgjobs.internal.db.tables.records.AttemptsRecord;
import io.pgjobs.internal.db.tables.records.JobsRecord;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.postgresql.PGConnection;

/**
 * All SQL about jobs and their attempts. The hot path (enqueue, claim, complete, lease renewal) is hand-written
 * SQL, prepared once per schema and executed as single statements; everything else is jOOQ over the classes
 * generated from the migrations.
 */
public final class JobStore {
    /** A job to insert, already validated and serialized. {@code runAt} null means now plus {@code delayMs}. */
    public record NewJob(String kind, String queue, int priority, Instant runAt, long delayMs, int maxAttempts,
                         String argsJson, String idempotencyKey, List<String> tags, String metadataJson,
                         String partitionKey, String orderingKey) {}

    /** A job this node has just claimed; {@code queueWaitMs} is how long it was due before the claim (database time). */
    public record ClaimedJob(long id, String kind, String queue, int attempt, int maxAttempts, String argsJson,
                             String metadataJson, long queueWaitMs) {
        /** The job in the current row of a claim's result (the columns of claim_jobs, in order). */
        static ClaimedJob read(ResultSet rs) throws SQLException {
            return new ClaimedJob(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getInt(5),
                    rs.getString(6), rs.getString(7), rs.getLong(8));
        }
    }

    /** A position in a queue's claim order: priority, then due time, then id. */
    public record ClaimPosition(short priority, OffsetDateTime runAt, long id) implements Comparable<ClaimPosition> {
        @Override
        public int compareTo(ClaimPosition other) {
            int byPriority = Short.compare(priority, other.priority);
            if (byPriority != 0) {
                return byPriority;
            }
            int byRunAt = runAt.toInstant().compareTo(other.runAt.toInstant());
            return byRunAt != 0 ? byRunAt : Long.compare(id, other.id);
        }
    }

    /** The jobs one claim took, and the position of the last of them in the claim order (null if none). */
    public record Claim(List<ClaimedJob> jobs, ClaimPosition end) {}

    /**
     * The end of one attempt, as the runtime decided it: the state to move to ({@code delayMs} from now for
     * retryable, scheduled and available) and how many attempts to give back ({@code attemptsBack}: 1 when the
     * attempt should not count, as for a snooze or a shutdown).
     */
    public record Completion(long jobId, int attempt, JobState state, JobAttempt.Outcome outcome, long delayMs,
                             int attemptsBack, String resultJson, String errorClass, String message,
                             String stackTrace) {}

    /** A lease renewal's answer for one job. */
    public record LeaseStatus(long jobId, boolean cancelRequested) {}

    private final DataSource dataSource;
    private final String schema;
    private final String notifyChannel;
    /** Package-private for BatchInsertPlanTest. */
    final String insertSql;
    private final String insertOneSql;
    private final String insertOneKeyedSql;
    private final String drawIdsSql;
    private final String copySql;
    private final String claimSql;
    private final String claimGuardedSql;
    private final String completeSql;
    private final String lockCompletingSql;
    private final String renewLeasesSql;

    public JobStore(DataSource dataSource, String schema, String notifyChannel) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.notifyChannel = notifyChannel;
        String jobs = schema + ".jobs";
        // Ids are drawn up front, so a row without a key is known to have the id drawn for it; a row with a key
        // was inserted if its key comes back, and its key already existed if not (resolved afterwards). Only rows
        // with a key go through ON CONFLICT: PostgreSQL inserts every row of such a statement speculatively (a
        // lock and an extra WAL record each), whether or not the row has a key. One notification per queue with
        // runnable jobs, sent at commit. The statement joins nothing, so the generic plan the server keeps for a
        // prepared statement (estimated for a few rows) suits a batch of any size and saves planning it at every
        // call (0.2 ms, as much as inserting 10 jobs); see BatchInsertPlanTest.
        this.insertSql = """
                with input as (
                    select nextval('%1$s_id_seq') as id, t.*,
                           coalesce(t.run_at, now() + t.delay_ms * interval '1 millisecond') as due
                    from unnest(?::text[], ?::text[], ?::smallint[], ?::timestamptz[], ?::bigint[], ?::int[],
                                ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                         with ordinality as t(kind, queue, priority, run_at, delay_ms, max_attempts, args,
                                              idempotency_key, tags, metadata, partition_key, ordering_key, ord)
                ), unkeyed as (
                    insert into %1$s (id, kind, queue, state, priority, run_at, max_attempts, args, tags, metadata,
                                      partition_key, ordering_key)
                    select id, kind, queue, case when due > now() then 'scheduled' else 'available' end, priority, due,
                           max_attempts, args::jsonb, tags::text[], metadata::jsonb, partition_key, ordering_key
                    from input where idempotency_key is null order by ord
                    returning id, queue, state
                ), keyed as (
                    insert into %1$s (id, kind, queue, state, priority, run_at, max_attempts, args, idempotency_key,
                                      tags, metadata, partition_key, ordering_key)
                    select id, kind, queue, case when due > now() then 'scheduled' else 'available' end, priority, due,
                           max_attempts, args::jsonb, idempotency_key, tags::text[], metadata::jsonb, partition_key,
                           ordering_key
                    from input where idempotency_key is not null order by ord
                    on conflict (idempotency_key) where idempotency_key is not null do nothing
                    returning id, queue, state, idempotency_key
                ), notified as (
                    select pg_notify(?, 'q:' || queue)
                    from (select queue from unkeyed where state = 'available'
                          union select queue from keyed where state = 'available') q
                )
                select ord, id, null from input where idempotency_key is null
                union all
                select null, id, idempotency_key from keyed
                union all
                select null, null, null from (select count(*) from notified) sent -- pg_notify runs only if read
                """.formatted(jobs);
        // The same insert for one job, with plain parameters: the single transactional enqueue is the call an
        // application makes most, and without the arrays, the ordinality join and the id matching it costs about
        // half as much. A job without a key is inserted without ON CONFLICT (see above).
        this.insertOneSql = insertOneSql(jobs, "");
        this.insertOneKeyedSql = insertOneSql(jobs,
                "on conflict (idempotency_key) where idempotency_key is not null do nothing");
        // The bulk case, many jobs due now without keys, goes in by COPY (see copyBatch): ids drawn and the
        // notifications queued (sent at commit) in one statement first.
        this.drawIdsSql = """
                select array(select nextval('%1$s_id_seq') from generate_series(1, ?)),
                       (select count(pg_notify(?, 'q:' || q)) from unnest(?::text[]) q)
                """.formatted(jobs);
        this.copySql = ("copy %s (id, kind, queue, priority, max_attempts, args, tags, metadata, partition_key, "
                + "ordering_key) from stdin").formatted(jobs);
        // The whole claim is claim_jobs (V10; PL/pgSQL since V11, so a session plans it once): it locks the first
        // runnable jobs of the queue after a position (skipping rows other claims hold) and marks them running in
        // one statement, planned there so that the runnable index is always walked in order, whatever the
        // statistics say.
        this.claimSql = "select * from %s.claim_jobs(?, ?, ?, ?, ?, ?, ?, ?)".formatted(schema);
        // On a node with circuit breakers, the kinds that have one are claimed only while their circuit is closed
        // (docs/flow-control.md); the check reads the circuits in the claim's own snapshot.
        this.claimGuardedSql = "select * from %s.claim_jobs(?, ?::text[] || %s, ?, ?, ?, ?, ?, ?)"
                .formatted(schema, CircuitStore.closedKindsOf(schema, "?::text[]"));
        // A completion applies only while the job still runs under this node and attempt: a node presumed dead
        // can never overwrite a job that was rescued and handed to another. A cancel request turns any
        // unsuccessful end into 'cancelled'. The attempt row is written in the same statement, from the row the
        // update returns (one batch can hold two completions of one job: one delayed by an outage, and the attempt
        // that ran after the job was rescued); the statement answers with the state each applied completion left
        // its job in. The per-minute statistics of the dashboard's charts are written by it too. The rows
        // are locked first (lockCompletingSql, see complete()).
        this.completeSql = """
                with done as (
                    update %1$s j
                    set state = case when j.cancel_requested_at is not null and o.state <> 'completed'
                                     then 'cancelled' else o.state end,
                        finished_at = case when o.state in ('completed', 'discarded', 'cancelled')
                                             or (j.cancel_requested_at is not null and o.state <> 'completed')
                                           then now() end,
                        run_at = case when o.state in ('retryable', 'scheduled', 'available')
                                      then now() + o.delay_ms * interval '1 millisecond' else j.run_at end,
                        max_attempts = j.max_attempts + o.attempts_back,
                        result = o.result::jsonb,
                        last_error = coalesce(o.error_class || coalesce(': ' || o.message, ''), j.last_error),
                        lease_expires_at = null
                    from unnest(?::bigint[], ?::int[], ?::text[], ?::text[], ?::bigint[], ?::int[], ?::text[],
                                ?::text[], ?::text[], ?::text[])
                         as o(id, attempt, state, outcome, delay_ms, attempts_back, result, error_class, message,
                              stack_trace)
                    where j.id = o.id and j.state = 'running' and j.attempt = o.attempt and j.node_id = ?
                    returning j.id, j.attempt, j.started_at, j.state, j.queue, j.kind, o.outcome, o.error_class,
                              o.message, o.stack_trace
                ), recorded as (
                    insert into %2$s.attempts (job_id, attempt, node_id, started_at, finished_at, outcome, error_class,
                                               message, stack_trace)
                    select id, attempt, ?, started_at, now(),
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
                           sum((extract(epoch from now() - started_at) * 1000)::bigint)
                    from done group by queue, kind, state order by queue, kind, state
                    on conflict (minute, queue, kind, state, node_id)
                    do update set jobs = s.jobs + excluded.jobs, duration_ms = s.duration_ms + excluded.duration_ms
                )
                select id, state from done
                """.formatted(jobs, schema);
        this.lockCompletingSql = "select id from %1$s where id = any(?) order by id for update".formatted(jobs);
        // Rows are locked in id order, as complete() locks them, so renewals and completions never deadlock.
        this.renewLeasesSql = """
                update %1$s set lease_expires_at = now() + ? * interval '1 millisecond'
                where id = any(array(select id from %1$s where id = any(?) and state = 'running' and node_id = ?
                                     order by id for update))
                  and state = 'running' and node_id = ?
                returning id, cancel_requested_at is not null
                """.formatted(jobs);
    }

    private static String insertOneSql(String jobs, String onConflict) {
        // The notification is sent from RETURNING, so the statement is a bare INSERT: wrapped in a CTE with a
        // scalar subquery for the notification, it took 12 to 32 µs more a call (a plain INSERT takes 150 to 190).
        return """
                insert into %1$s (kind, queue, state, priority, run_at, max_attempts, args, idempotency_key, tags,
                                  metadata, partition_key, ordering_key)
                select ?, ?, case when due > now() then 'scheduled' else 'available' end, ?, due, ?, ?::jsonb, ?,
                       ?::text[], ?::jsonb, ?, ?
                from (select coalesce(?::timestamptz, now() + ? * interval '1 millisecond') as due) d
                %2$s
                returning id, case when state = 'available' then pg_notify(?, 'q:' || queue) end is null
                """.formatted(jobs, onConflict);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    // ---- enqueue -------------------------------------------------------------------------------------------

    /** From this many jobs on, a batch of jobs due now without idempotency keys goes in by COPY. */
    private static final int COPY_MIN_JOBS = 100;

    /**
     * Inserts {@code jobs} on {@code connection}; returns, per input position, the job's id and whether it was a
     * duplicate of an existing key.
     */
    public List<EnqueueResult> insert(Connection connection, List<NewJob> jobs) throws SQLException {
        int n = jobs.size();
        EnqueueResult[] results = new EnqueueResult[n];
        List<Integer> pending = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            pending.add(i);
        }
        // A skipped key normally resolves to the row that holds it; if that row vanished in between (deleted by
        // retention), the insert is simply tried again.
        for (int round = 0; !pending.isEmpty(); round++) {
            if (round == 5) {
                throw new SQLException("idempotency keys kept conflicting with rows that then vanished: "
                        + pending.stream().map(i -> jobs.get(i).idempotencyKey()).toList());
            }
            List<NewJob> batch = pending.stream().map(jobs::get).toList();
            long[] ids = insertBatch(connection, batch);
            Map<String, Long> existing = existingKeys(connection, batch, ids);
            List<Integer> retry = new ArrayList<>();
            for (int k = 0; k < batch.size(); k++) {
                int position = pending.get(k);
                if (ids[k] != 0) {
                    results[position] = new EnqueueResult(ids[k], false);
                } else {
                    Long id = existing.get(batch.get(k).idempotencyKey());
                    if (id != null) {
                        results[position] = new EnqueueResult(id, true);
                    } else {
                        retry.add(position);
                    }
                }
            }
            pending = retry;
        }
        return Arrays.asList(results);
    }

    private long[] insertBatch(Connection connection, List<NewJob> batch) throws SQLException {
        if (batch.size() == 1) {
            return new long[] {insertOne(connection, batch.getFirst())};
        }
        if (copies(batch) && !connection.getAutoCommit() && connection.isWrapperFor(PGConnection.class)) {
            return copyBatch(connection, batch);
        }
        int n = batch.size();
        String[] kinds = new String[n], queues = new String[n], args = new String[n], keys = new String[n],
                tags = new String[n], metadata = new String[n], partitionKeys = new String[n],
                orderingKeys = new String[n];
        Short[] priorities = new Short[n];
        Timestamp[] runAts = new Timestamp[n];
        Long[] delays = new Long[n];
        Integer[] maxAttempts = new Integer[n];
        for (int i = 0; i < n; i++) {
            NewJob job = batch.get(i);
            kinds[i] = job.kind();
            queues[i] = job.queue();
            priorities[i] = (short) job.priority();
            runAts[i] = job.runAt() == null ? null : Timestamp.from(job.runAt());
            delays[i] = job.delayMs();
            maxAttempts[i] = job.maxAttempts();
            args[i] = job.argsJson();
            keys[i] = job.idempotencyKey();
            tags[i] = Sql.arrayLiteral(job.tags());
            metadata[i] = job.metadataJson();
            partitionKeys[i] = job.partitionKey();
            orderingKeys[i] = job.orderingKey();
        }
        long[] ids = new long[n];
        Map<String, Long> keyedIds = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(insertSql)) {
            ps.setArray(1, connection.createArrayOf("text", kinds));
            ps.setArray(2, connection.createArrayOf("text", queues));
            ps.setArray(3, connection.createArrayOf("int2", priorities));
            ps.setArray(4, connection.createArrayOf("timestamptz", runAts));
            ps.setArray(5, connection.createArrayOf("int8", delays));
            ps.setArray(6, connection.createArrayOf("int4", maxAttempts));
            ps.setArray(7, connection.createArrayOf("text", args));
            ps.setArray(8, connection.createArrayOf("text", keys));
            ps.setArray(9, connection.createArrayOf("text", tags));
            ps.setArray(10, connection.createArrayOf("text", metadata));
            ps.setArray(11, connection.createArrayOf("text", partitionKeys));
            ps.setArray(12, connection.createArrayOf("text", orderingKeys));
            ps.setString(13, notifyChannel);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int ord = rs.getInt(1);
                    if (!rs.wasNull()) {
                        ids[ord - 1] = rs.getLong(2);
                    } else if (rs.getString(3) != null) {
                        keyedIds.put(rs.getString(3), rs.getLong(2));
                    }
                }
            }
        }
        // a key given twice in the batch was inserted for its first row; the later ones are duplicates of it
        for (int i = 0; i < n; i++) {
            if (keys[i] != null) {
                Long id = keyedIds.remove(keys[i]);
                ids[i] = id == null ? 0 : id;
            }
        }
        return ids;
    }

    /**
     * Whether {@code batch} goes in by COPY: big enough, every job due now and without an idempotency key (COPY
     * has no ON CONFLICT and takes no expressions, and a due time computed from the database's clock needs one).
     */
    private static boolean copies(List<NewJob> batch) {
        if (batch.size() < COPY_MIN_JOBS) {
            return false;
        }
        for (NewJob job : batch) {
            if (job.idempotencyKey() != null || job.runAt() != null || job.delayMs() != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Inserts a batch of jobs due now without keys by COPY: PostgreSQL then writes the rows a page at a time
     * (one WAL record per page instead of one per row), and nothing is planned or unnested. Through
     * {@code enqueueAll} (embedded PostgreSQL 18, two runs each, alternating): batches of 1,000 at 124,830 and
     * 125,569 jobs/s against 102,340 and 109,377 with the INSERT from arrays, batches of 100 at 85,984 and 78,004
     * against 77,022 and 73,462; batches of 50 at 53,625 and 52,690 against 60,554 and 64,259, so COPY only from
     * {@link #COPY_MIN_JOBS} on (it takes two round trips where the INSERT takes one). The ids are drawn first so
     * that they are known in order; state and run_at are left to the columns' defaults ('available' and now(),
     * the database's clock). The connection must not be in autocommit: the notifications are queued before the
     * rows are written.
     */
    private long[] copyBatch(Connection connection, List<NewJob> batch) throws SQLException {
        int n = batch.size();
        long[] ids = new long[n];
        try (PreparedStatement ps = connection.prepareStatement(drawIdsSql)) {
            ps.setInt(1, n);
            ps.setString(2, notifyChannel);
            ps.setArray(3, connection.createArrayOf("text", batch.stream().map(NewJob::queue).distinct().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Long[] drawn = (Long[]) rs.getArray(1).getArray();
                for (int i = 0; i < n; i++) {
                    ids[i] = drawn[i];
                }
            }
        }
        StringBuilder rows = new StringBuilder(n * 96);
        for (int i = 0; i < n; i++) {
            NewJob job = batch.get(i);
            rows.append(ids[i]).append('\t');
            copyField(rows, job.kind()).append('\t');
            copyField(rows, job.queue()).append('\t');
            rows.append(job.priority()).append('\t').append(job.maxAttempts()).append('\t');
            copyField(rows, job.argsJson()).append('\t');
            copyField(rows, Sql.arrayLiteral(job.tags())).append('\t');
            copyField(rows, job.metadataJson()).append('\t');
            copyField(rows, job.partitionKey()).append('\t');
            copyField(rows, job.orderingKey()).append('\n');
        }
        try {
            connection.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn(copySql, new ByteArrayInputStream(rows.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new SQLException("could not send the jobs to COPY: " + e.getMessage(), e);
        }
        return ids;
    }

    /** Appends {@code value} as a field of COPY's text format; null is {@code \N}. */
    private static StringBuilder copyField(StringBuilder row, String value) {
        if (value == null) {
            return row.append("\\N");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> row.append("\\\\");
                case '\t' -> row.append("\\t");
                case '\n' -> row.append("\\n");
                case '\r' -> row.append("\\r");
                default -> row.append(c);
            }
        }
        return row;
    }

    /** Inserts one job; returns its id, or 0 when its idempotency key already exists. */
    private long insertOne(Connection connection, NewJob job) throws SQLException {
        String sql = job.idempotencyKey() == null ? insertOneSql : insertOneKeyedSql;
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, job.kind());
            ps.setString(2, job.queue());
            ps.setShort(3, (short) job.priority());
            ps.setInt(4, job.maxAttempts());
            ps.setString(5, job.argsJson());
            ps.setString(6, job.idempotencyKey());
            ps.setString(7, Sql.arrayLiteral(job.tags()));
            ps.setString(8, job.metadataJson());
            ps.setString(9, job.partitionKey());
            ps.setString(10, job.orderingKey());
            ps.setTimestamp(11, job.runAt() == null ? null : Timestamp.from(job.runAt()));
            ps.setLong(12, job.delayMs());
            ps.setString(13, notifyChannel);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    private Map<String, Long> existingKeys(Connection connection, List<NewJob> batch, long[] ids) throws SQLException {
        List<String> skipped = new ArrayList<>();
        for (int k = 0; k < batch.size(); k++) {
            if (ids[k] == 0) {
                skipped.add(batch.get(k).idempotencyKey());
            }
        }
        if (skipped.isEmpty()) {
            return Map.of();
        }
        Map<String, Long> existing = new HashMap<>();
        Sql.dsl(connection, schema).select(JOBS.IDEMPOTENCY_KEY, JOBS.ID).from(JOBS)
                .where(JOBS.IDEMPOTENCY_KEY.in(skipped))
                .forEach(r -> existing.put(r.value1(), r.value2()));
        return existing;
    }

    // ---- the worker's hot path -------------------------------------------------------------------------------

    /**
     * Claims up to {@code limit} runnable jobs of {@code queue} whose kinds this node handles, in claim order
     * after {@code after} (from the head of the queue when null): jobs of {@code kinds}, and of
     * {@code guardedKinds} (kinds with a circuit breaker) while their circuit is closed.
     */
    public Claim claim(String queue, List<String> kinds, List<String> guardedKinds, int limit, String nodeId,
                       long leaseMs, ClaimPosition after) throws SQLException {
        boolean guarded = !guardedKinds.isEmpty();
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(guarded ? claimGuardedSql : claimSql)) {
                int p = 1;
                ps.setString(p++, queue);
                ps.setArray(p++, Sql.textArray(connection, kinds));
                if (guarded) {
                    ps.setArray(p++, Sql.textArray(connection, guardedKinds));
                }
                ps.setInt(p++, limit);
                ps.setString(p++, nodeId);
                ps.setLong(p++, leaseMs);
                ps.setObject(p++, after == null ? null : after.priority(), Types.SMALLINT);
                ps.setObject(p++, after == null ? null : after.runAt(), Types.TIMESTAMP_WITH_TIMEZONE);
                ps.setObject(p, after == null ? null : after.id(), Types.BIGINT);
                List<ClaimedJob> claimed = new ArrayList<>(limit);
                ClaimPosition end = null;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        claimed.add(ClaimedJob.read(rs));
                        ClaimPosition position = new ClaimPosition(rs.getShort(9),
                                rs.getObject(10, OffsetDateTime.class), rs.getLong(1));
                        if (end == null || position.compareTo(end) > 0) {
                            end = position;
                        }
                    }
                }
                return new Claim(claimed, end);
            }
        });
    }

    /**
     * Writes many completions and their attempt rows in one statement; returns the state each applied one left
     * its job in, by job id (a completion that no longer applied is missing).
     */
    public Map<Long, JobState> complete(List<Completion> completions, String nodeId) throws SQLException {
        int n = completions.size();
        Long[] ids = new Long[n];
        Integer[] attempts = new Integer[n], attemptsBack = new Integer[n];
        String[] states = new String[n], outcomes = new String[n], results = new String[n], classes = new String[n],
                messages = new String[n], stacks = new String[n];
        Long[] delays = new Long[n];
        for (int i = 0; i < n; i++) {
            Completion c = completions.get(i);
            ids[i] = c.jobId();
            attempts[i] = c.attempt();
            states[i] = c.state().dbName();
            outcomes[i] = c.outcome().name().toLowerCase(Locale.ROOT);
            delays[i] = c.delayMs();
            attemptsBack[i] = c.attemptsBack();
            results[i] = c.resultJson();
            classes[i] = c.errorClass();
            messages[i] = c.message();
            stacks[i] = c.stackTrace();
        }
        // Lock the rows in a statement of their own first. An UPDATE joined to its input rows that meets a row a
        // concurrent transaction (a lease renewal, say) changed after the statement began rechecks the join with
        // EvalPlanQual, and then can skip the row or write its attempt twice (the crash test found doubled attempt
        // rows; CompletionRaceTest races this). Once the rows are locked, the update's fresh snapshot sees their
        // latest versions and nothing else can change them.
        return Sql.inTransaction(dataSource, connection -> {
            try (PreparedStatement lock = Sql.prepareForArrays(connection, lockCompletingSql)) {
                lock.setArray(1, connection.createArrayOf("int8", ids));
                lock.execute();
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
                ps.setString(11, nodeId);
                ps.setString(12, nodeId);
                ps.setString(13, nodeId);
                Map<Long, JobState> written = new HashMap<>(n * 2);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        written.put(rs.getLong(1), JobState.fromDb(rs.getString(2)));
                    }
                }
                return written;
            }
        });
    }

    /** Renews the leases of {@code jobIds} held by {@code nodeId}; jobs missing from the answer were lost. */
    public List<LeaseStatus> renewLeases(List<Long> jobIds, String nodeId, long leaseMs) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = Sql.prepareForArrays(connection, renewLeasesSql)) {
                ps.setLong(1, leaseMs);
                ps.setArray(2, connection.createArrayOf("int8", jobIds.toArray(Long[]::new)));
                ps.setString(3, nodeId);
                ps.setString(4, nodeId);
                List<LeaseStatus> renewed = new ArrayList<>(jobIds.size());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        renewed.add(new LeaseStatus(rs.getLong(1), rs.getBoolean(2)));
                    }
                }
                return renewed;
            }
        });
    }

    // ---- inspection and operator actions ----------------------------------------------------------------------

    public Optional<Job> get(long id) throws SQLException {
        return Sql.autoCommit(dataSource, connection ->
                Sql.dsl(connection, schema).selectFrom(JOBS).where(JOBS.ID.eq(id)).fetchOptional().map(JobStore::toJob));
    }

    public List<JobAttempt> attempts(long jobId) throws SQLException {
        return Sql.autoCommit(dataSource, connection ->
                Sql.dsl(connection, schema).selectFrom(ATTEMPTS).where(ATTEMPTS.JOB_ID.eq(jobId))
                        .orderBy(ATTEMPTS.ATTEMPT).fetch(JobStore::toAttempt));
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
        dsl.select(DSL.function("pg_notify", Object.class, DSL.val(notifyChannel), DSL.val(payload))).fetch();
    }

    private static List<String> runnableStates() {
        return JobState.RUNNABLE.stream().map(JobState::dbName).toList();
    }

    public static Job toJob(JobsRecord r) {
        return new Job(r.getId(), r.getKind(), r.getQueue(), JobState.fromDb(r.getState()), r.getPriority(),
                Sql.instant(r.getRunAt()), r.getAttempt(), r.getMaxAttempts(), r.getArgs().data(),
                r.getIdempotencyKey(), List.of(r.getTags()), r.getMetadata().data(),
                r.getResult() == null ? null : r.getResult().data(), Sql.instant(r.getCreatedAt()),
                Sql.instant(r.getStartedAt()), Sql.instant(r.getFinishedAt()), r.getNodeId(),
                Sql.instant(r.getLeaseExpiresAt()), Sql.instant(r.getCancelRequestedAt()), r.getLastError());
    }

    static JobAttempt toAttempt(AttemptsRecord r) {
        return new JobAttempt(r.getJobId(), r.getAttempt(), r.getNodeId(), Sql.instant(r.getStartedAt()),
                Sql.instant(r.getFinishedAt()), JobAttempt.Outcome.valueOf(r.getOutcome().toUpperCase(Locale.ROOT)),
                r.getErrorClass(), r.getMessage(), r.getStackTrace());
    }
}
