package io.pgjobs.internal;

import static io.pgjobs.internal.db.Tables.ATTEMPTS;
import static io.pgjobs.internal.db.Tables.JOBS;
import static io.pgjobs.internal.db.Tables.QUEUES;

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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.postgresql.PGConnection;

/**
 * All SQL about jobs and their attempts. The hot path (enqueue, claim, complete, lease renewal) is hand-written
 * SQL, prepared once per schema and executed as single statements; everything else is jOOQ over the classes
 * generated from the migrations.
 */
public final class JobStore {
    /**
     * A job to insert, already validated and serialized. {@code runAt} null means now plus {@code delayMs};
     * {@code unique} null means unique by its idempotency key alone (if it has one).
     */
    public record NewJob(String kind, String queue, int priority, Instant runAt, long delayMs, int maxAttempts,
                         String argsJson, String idempotencyKey, List<String> tags, String metadataJson,
                         UniqueKey unique) {
        /** A job that is not unique beyond its idempotency key. */
        public NewJob(String kind, String queue, int priority, Instant runAt, long delayMs, int maxAttempts,
                      String argsJson, String idempotencyKey, List<String> tags, String metadataJson) {
            this(kind, queue, priority, runAt, delayMs, maxAttempts, argsJson, idempotencyKey, tags, metadataJson,
                    null);
        }

        /** Whether it may conflict with an existing job (and so goes in through ON CONFLICT). */
        boolean keyed() {
            return idempotencyKey != null || unique != null;
        }
    }

    /**
     * What makes a job unique beyond its idempotency key (see {@link io.pgjobs.Uniqueness}): {@code base} names
     * its kind, queue and args, {@code periodMs} (0 for none) the length of the periods it is unique within, and
     * {@code states} (database names) the states in which a job holds its key. The key stored is the base,
     * followed by the number of the database's current period when there is one.
     */
    public record UniqueKey(String base, long periodMs, List<String> states) {}

    /** A job this node has just claimed; {@code queueWaitMs} is how long it was due before the claim (database time). */
    public record ClaimedJob(long id, String kind, String queue, int attempt, int maxAttempts, String argsJson,
                             String metadataJson, long queueWaitMs) {}

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
    private final String resultChannel;
    /** Package-private for BatchInsertPlanTest. */
    final String insertSql;
    private final String insertOneSql;
    private final String insertOneKeyedSql;
    private final String existingUniqueKeysSql;
    private final String waitingJobsSql;
    private final String drawIdsSql;
    private final String copySql;
    private final String claimSql;
    private final String completeSql;
    private final String lockCompletingSql;
    private final String renewLeasesSql;

    public JobStore(DataSource dataSource, String schema, String notifyChannel, String resultChannel) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.notifyChannel = notifyChannel;
        this.resultChannel = resultChannel;
        String jobs = schema + ".jobs";
        // Ids are drawn up front, so every row is known by the id drawn for it: a row without a key was inserted
        // with it; a row with a key (idempotency or unique) was inserted if its id comes back from the keyed
        // insert, and skipped for a key that is already held if not (resolved afterwards). Only rows with a key
        // go through ON CONFLICT: PostgreSQL inserts every row of such a statement speculatively (a lock and an
        // extra WAL record each), whether or not the row has a key. Keyed rows go in sorted by their keys, so
        // that batches holding the same keys take them in one order: in their own orders, each could wait on a
        // key another has inserted but not committed while holding one the other waits for; for a key given twice
        // in a batch, the first row in the batch sorts first and is the one inserted. One notification per queue
        // with runnable jobs, sent at commit. The statement joins nothing, so the generic plan the server keeps
        // for a prepared statement (estimated for a few rows) suits a batch of any size and saves planning it at
        // every call (0.2 ms, as much as inserting 10 jobs); see BatchInsertPlanTest.
        this.insertSql = """
                with input as (
                    select nextval('%1$s_id_seq') as id, t.*,
                           coalesce(t.run_at, now() + t.delay_ms * interval '1 millisecond') as due,
                           %2$s as unique_key
                    from unnest(?::text[], ?::text[], ?::smallint[], ?::timestamptz[], ?::bigint[], ?::int[],
                                ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[])
                         with ordinality as t(kind, queue, priority, run_at, delay_ms, max_attempts, args,
                                              idempotency_key, tags, metadata, unique_base, unique_period_ms,
                                              unique_states, ord)
                ), unkeyed as (
                    insert into %1$s (id, kind, queue, state, priority, run_at, max_attempts, args, tags, metadata)
                    select id, kind, queue, case when due > now() then 'scheduled' else 'available' end, priority, due,
                           max_attempts, args::jsonb, tags::text[], metadata::jsonb
                    from input where idempotency_key is null and unique_key is null order by ord
                    returning id, queue, state
                ), keyed as (
                    insert into %1$s (id, kind, queue, state, priority, run_at, max_attempts, args, idempotency_key,
                                      tags, metadata, unique_key, unique_states)
                    select id, kind, queue, case when due > now() then 'scheduled' else 'available' end, priority, due,
                           max_attempts, args::jsonb, idempotency_key, tags::text[], metadata::jsonb, unique_key,
                           unique_states::text[]
                    from input where idempotency_key is not null or unique_key is not null
                    order by idempotency_key, unique_key, ord
                    on conflict do nothing
                    returning id, queue, state
                ), notified as (
                    select pg_notify(?, 'q:' || queue)
                    from (select queue from unkeyed where state = 'available'
                          union select queue from keyed where state = 'available') q
                )
                select ord, id, idempotency_key is null and unique_key is null from input
                union all
                select null, id, null from keyed
                union all
                select null, null, null from (select count(*) from notified) sent -- pg_notify runs only if read
                """.formatted(jobs, uniqueKeySql("t.unique_base", "t.unique_period_ms"));
        // The same insert for one job, with plain parameters: the single transactional enqueue is the call an
        // application makes most, and without the arrays, the ordinality join and the id matching it costs about
        // half as much. A job without a key is inserted without ON CONFLICT (see above).
        this.insertOneSql = insertOneSql(jobs, false);
        this.insertOneKeyedSql = insertOneSql(jobs, true);
        this.existingUniqueKeysSql = """
                select t.base, j.id
                from unnest(?::text[], ?::bigint[]) as t(base, period_ms)
                join %1$s j on j.unique_key = %2$s and j.state = any(j.unique_states)
                """.formatted(jobs, uniqueKeySql("t.base", "t.period_ms"));
        this.waitingJobsSql = """
                select count(*) from (select 1 from %1$s
                                      where queue = ? and state in ('available', 'scheduled', 'retryable') limit ?) w
                """.formatted(jobs);
        // The bulk case, many jobs due now without keys, goes in by COPY (see copyBatch): ids drawn and the
        // notifications queued (sent at commit) in one statement first.
        this.drawIdsSql = """
                select array(select nextval('%1$s_id_seq') from generate_series(1, ?)),
                       (select count(pg_notify(?, 'q:' || q)) from unnest(?::text[]) q)
                """.formatted(jobs);
        this.copySql = "copy %s (id, kind, queue, priority, max_attempts, args, tags, metadata) from stdin"
                .formatted(jobs);
        // The whole claim is claim_jobs (V10; PL/pgSQL since V11, so a session plans it once): it locks the first
        // runnable jobs of the queue after a position (skipping rows other claims hold) and marks them running in
        // one statement, planned there so that the runnable index is always walked in order, whatever the
        // statistics say.
        this.claimSql = "select * from %s.claim_jobs(?, ?, ?, ?, ?, ?, ?, ?)".formatted(schema);
        // A completion applies only while the job still runs under this node and attempt: a node presumed dead
        // can never overwrite a job that was rescued and handed to another. A cancel request turns any
        // unsuccessful end into 'cancelled'. The attempt row is written in the same statement, from the row the
        // update returns (one batch can hold two completions of one job: one delayed by an outage, and the attempt
        // that ran after the job was rescued); the statement answers with the state each applied completion left
        // its job in. The per-minute statistics of the dashboard's charts are written by it too, and the
        // finished jobs a client waits for (V18) are announced on the results channel. The rows are locked first
        // (lockCompletingSql, see complete()).
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
                              o.message, o.stack_trace, j.result_awaited
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
                ), awaited as (
                    select pg_notify(?, id::text) from done
                    where result_awaited and state in ('completed', 'cancelled', 'discarded')
                )
                select id, state from done
                union all
                select null, null from (select count(*) from awaited) sent -- pg_notify runs only if read
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

    private static String insertOneSql(String jobs, boolean keyed) {
        // The notification is sent from RETURNING, so the statement is a bare INSERT: wrapped in a CTE with a
        // scalar subquery for the notification, it took 12 to 32 µs more a call (a plain INSERT takes 150 to 190).
        // A keyed job takes three more parameters (its unique key, see insertOne) and may conflict.
        return """
                insert into %1$s (kind, queue, state, priority, run_at, max_attempts, args, idempotency_key, tags,
                                  metadata%2$s)
                select ?, ?, case when due > now() then 'scheduled' else 'available' end, ?, due, ?, ?::jsonb, ?,
                       ?::text[], ?::jsonb%3$s
                from (select coalesce(?::timestamptz, now() + ? * interval '1 millisecond') as due%4$s) d
                %5$s
                returning id, case when state = 'available' then pg_notify(?, 'q:' || queue) end is null
                """.formatted(jobs,
                keyed ? ", unique_key, unique_states" : "",
                keyed ? ", " + uniqueKeySql("unique_base", "unique_period_ms") + ", unique_states" : "",
                keyed ? ", ?::text as unique_base, ?::bigint as unique_period_ms, ?::text[] as unique_states" : "",
                keyed ? "on conflict do nothing" : "");
    }

    /**
     * The unique key stored for a job: its base, and with a period the number of the database's current period
     * counted from the Unix epoch (null when the job has no unique key).
     */
    private static String uniqueKeySql(String base, String periodMs) {
        return "case when %2$s > 0 then %1$s || '@' || floor(extract(epoch from now()) * 1000 / %2$s)::bigint else %1$s end"
                .formatted(base, periodMs);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    // ---- enqueue -------------------------------------------------------------------------------------------

    /** The SQLSTATE of a unique index's violation. */
    private static final String UNIQUE_VIOLATION = "23505";

    /** From this many jobs on, a batch of jobs due now without idempotency keys goes in by COPY. */
    private static final int COPY_MIN_JOBS = 100;

    /**
     * Inserts {@code jobs} on {@code connection}; returns, per input position, the job's id and whether it was a
     * duplicate of an existing job (by its idempotency key or its unique key).
     */
    public List<EnqueueResult> insert(Connection connection, List<NewJob> jobs) throws SQLException {
        int n = jobs.size();
        EnqueueResult[] results = new EnqueueResult[n];
        List<Integer> pending = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            pending.add(i);
        }
        // A skipped job normally resolves to the row that holds its key; if that row vanished in between
        // (deleted by retention) or no longer holds it (a job unique while unfinished has finished), the insert is
        // simply tried again.
        for (int round = 0; !pending.isEmpty(); round++) {
            if (round == 5) {
                throw new SQLException("keys kept conflicting with rows that then vanished or let them go: "
                        + pending.stream().map(i -> keysOf(jobs.get(i))).toList());
            }
            List<NewJob> batch = pending.stream().map(jobs::get).toList();
            long[] ids = insertBatch(connection, batch);
            Map<String, Long> existing = existingKeys(connection, batch, ids);
            Map<String, Long> existingUnique = existingUniqueKeys(connection, batch, ids);
            List<Integer> retry = new ArrayList<>();
            for (int k = 0; k < batch.size(); k++) {
                int position = pending.get(k);
                NewJob job = batch.get(k);
                if (ids[k] != 0) {
                    results[position] = new EnqueueResult(ids[k], false);
                } else {
                    Long id = job.idempotencyKey() == null ? null : existing.get(job.idempotencyKey());
                    if (id == null && job.unique() != null) {
                        id = existingUnique.get(job.unique().base());
                    }
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

    private static String keysOf(NewJob job) {
        return job.idempotencyKey() != null ? job.idempotencyKey() : job.unique().base();
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
                tags = new String[n], metadata = new String[n], uniqueBases = new String[n],
                uniqueStates = new String[n];
        Short[] priorities = new Short[n];
        Timestamp[] runAts = new Timestamp[n];
        Long[] delays = new Long[n], uniquePeriods = new Long[n];
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
            uniqueBases[i] = job.unique() == null ? null : job.unique().base();
            uniquePeriods[i] = job.unique() == null ? 0 : job.unique().periodMs();
            uniqueStates[i] = job.unique() == null ? null : Sql.arrayLiteral(job.unique().states());
        }
        long[] ids = new long[n];
        boolean[] unkeyed = new boolean[n];
        Set<Long> keyedInserted = new HashSet<>();
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
            ps.setArray(11, connection.createArrayOf("text", uniqueBases));
            ps.setArray(12, connection.createArrayOf("int8", uniquePeriods));
            ps.setArray(13, connection.createArrayOf("text", uniqueStates));
            ps.setString(14, notifyChannel);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int ord = rs.getInt(1);
                    if (!rs.wasNull()) {
                        ids[ord - 1] = rs.getLong(2);
                        unkeyed[ord - 1] = rs.getBoolean(3);
                    } else if (rs.getObject(2) != null) {
                        keyedInserted.add(rs.getLong(2));
                    }
                }
            }
        }
        // a keyed row was inserted if its drawn id came back from the keyed insert, and skipped otherwise
        for (int i = 0; i < n; i++) {
            if (!unkeyed[i] && !keyedInserted.contains(ids[i])) {
                ids[i] = 0;
            }
        }
        return ids;
    }

    /**
     * Whether {@code batch} goes in by COPY: big enough, every job due now and without an idempotency or unique
     * key (COPY has no ON CONFLICT and takes no expressions, and a due time computed from the database's clock
     * needs one).
     */
    private static boolean copies(List<NewJob> batch) {
        if (batch.size() < COPY_MIN_JOBS) {
            return false;
        }
        for (NewJob job : batch) {
            if (job.keyed() || job.runAt() != null || job.delayMs() != 0) {
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
            copyField(rows, job.metadataJson()).append('\n');
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

    /** Inserts one job; returns its id, or 0 when its idempotency or unique key is already held. */
    private long insertOne(Connection connection, NewJob job) throws SQLException {
        String sql = job.keyed() ? insertOneKeyedSql : insertOneSql;
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, job.kind());
            ps.setString(2, job.queue());
            ps.setShort(3, (short) job.priority());
            ps.setInt(4, job.maxAttempts());
            ps.setString(5, job.argsJson());
            ps.setString(6, job.idempotencyKey());
            ps.setString(7, Sql.arrayLiteral(job.tags()));
            ps.setString(8, job.metadataJson());
            ps.setTimestamp(9, job.runAt() == null ? null : Timestamp.from(job.runAt()));
            ps.setLong(10, job.delayMs());
            int next = 11;
            if (job.keyed()) {
                UniqueKey unique = job.unique();
                ps.setString(next++, unique == null ? null : unique.base());
                ps.setLong(next++, unique == null ? 0 : unique.periodMs());
                ps.setString(next++, unique == null ? null : Sql.arrayLiteral(unique.states()));
            }
            ps.setString(next, notifyChannel);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    private Map<String, Long> existingKeys(Connection connection, List<NewJob> batch, long[] ids) throws SQLException {
        List<String> skipped = new ArrayList<>();
        for (int k = 0; k < batch.size(); k++) {
            if (ids[k] == 0 && batch.get(k).idempotencyKey() != null) {
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

    /** The jobs that hold the unique keys of the skipped jobs of {@code batch}, by the keys' bases. */
    private Map<String, Long> existingUniqueKeys(Connection connection, List<NewJob> batch, long[] ids)
            throws SQLException {
        List<String> bases = new ArrayList<>();
        List<Long> periods = new ArrayList<>();
        for (int k = 0; k < batch.size(); k++) {
            UniqueKey unique = batch.get(k).unique();
            if (ids[k] == 0 && unique != null) {
                bases.add(unique.base());
                periods.add(unique.periodMs());
            }
        }
        if (bases.isEmpty()) {
            return Map.of();
        }
        Map<String, Long> existing = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(existingUniqueKeysSql)) {
            ps.setArray(1, connection.createArrayOf("text", bases.toArray()));
            ps.setArray(2, connection.createArrayOf("int8", periods.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    existing.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return existing;
    }

    // ---- queue depth maxima (backpressure) ------------------------------------------------------------------

    /** Writes the maximum depths a node declares, each replacing what its queue had. */
    public void declareMaxDepths(Map<String, Integer> maxDepths) throws SQLException {
        Sql.inTransaction(dataSource, connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            // in name order, so that nodes starting at once take the rows' locks in one order
            for (Map.Entry<String, Integer> queue : new TreeMap<>(maxDepths).entrySet()) {
                dsl.insertInto(QUEUES).set(QUEUES.NAME, queue.getKey()).set(QUEUES.MAX_DEPTH, queue.getValue())
                        .onConflict(QUEUES.NAME).doUpdate().set(QUEUES.MAX_DEPTH, queue.getValue())
                        .set(QUEUES.UPDATED_AT, DSL.currentOffsetDateTime()).execute();
            }
            return null;
        });
    }

    /** The queues that have a maximum depth, and their maxima. */
    public Map<String, Integer> maxDepths() throws SQLException {
        return Sql.autoCommit(dataSource, connection -> Sql.dsl(connection, schema)
                .select(QUEUES.NAME, QUEUES.MAX_DEPTH).from(QUEUES).where(QUEUES.MAX_DEPTH.isNotNull())
                .fetchMap(QUEUES.NAME, QUEUES.MAX_DEPTH));
    }

    /**
     * How many jobs wait in {@code queue} (available, scheduled or retryable), counted on {@code connection}
     * (so with the caller's own uncommitted jobs) up to {@code limit}: an index-only walk of the runnable index
     * that stops there.
     */
    public long waitingJobs(Connection connection, String queue, int limit) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(waitingJobsSql)) {
            ps.setString(1, queue);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    // ---- the worker's hot path -------------------------------------------------------------------------------

    /**
     * Claims up to {@code limit} runnable jobs of {@code queue} whose kinds this node handles, in claim order
     * after {@code after} (from the head of the queue when null).
     */
    public Claim claim(String queue, List<String> kinds, int limit, String nodeId, long leaseMs, ClaimPosition after)
            throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(claimSql)) {
                ps.setString(1, queue);
                ps.setArray(2, Sql.textArray(connection, kinds));
                ps.setInt(3, limit);
                ps.setString(4, nodeId);
                ps.setLong(5, leaseMs);
                ps.setObject(6, after == null ? null : after.priority(), Types.SMALLINT);
                ps.setObject(7, after == null ? null : after.runAt(), Types.TIMESTAMP_WITH_TIMEZONE);
                ps.setObject(8, after == null ? null : after.id(), Types.BIGINT);
                List<ClaimedJob> claimed = new ArrayList<>(limit);
                ClaimPosition end = null;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        claimed.add(new ClaimedJob(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4),
                                rs.getInt(5), rs.getString(6), rs.getString(7), rs.getLong(8)));
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
                ps.setString(14, resultChannel);
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
     * Marks a job as awaited, so that the statement that finishes it notifies the results channel (V18), and
     * returns it as it is once marked (empty if there is no such job). A job that finishes concurrently is
     * either marked before it finishes (and then notifies) or returned finished.
     */
    public Optional<Job> markAwaited(long id) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> Sql.dsl(connection, schema).update(JOBS)
                .set(JOBS.RESULT_AWAITED, true).where(JOBS.ID.eq(id))
                .returning().fetchOptional().map(JobStore::toJob));
    }

    /** The jobs among {@code ids} that have finished, and those of {@code ids} that no longer exist. */
    public record Finished(List<Job> jobs, Set<Long> missing) {}

    public Finished finished(Set<Long> ids) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            Set<Long> missing = new HashSet<>(ids);
            List<Job> finished = new ArrayList<>();
            Sql.dsl(connection, schema).selectFrom(JOBS).where(JOBS.ID.in(ids)).forEach(r -> {
                missing.remove(r.getId());
                Job job = toJob(r);
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
        return Sql.inTransaction(dataSource, connection -> {
            DSLContext dsl = Sql.dsl(connection, schema);
            Optional<JobsRecord> pending = dsl.update(JOBS)
                    .set(JOBS.STATE, JobState.CANCELLED.dbName())
                    .set(JOBS.FINISHED_AT, DSL.currentOffsetDateTime())
                    .set(JOBS.CANCEL_REQUESTED_AT, DSL.currentOffsetDateTime())
                    .where(JOBS.ID.eq(id)).and(JOBS.STATE.in(runnableStates()))
                    .returning(JOBS.KIND, JOBS.QUEUE, JOBS.ATTEMPT, JOBS.RESULT_AWAITED)
                    .fetchOptional();
            if (pending.isPresent()) {
                JobsRecord job = pending.get();
                if (job.getResultAwaited()) {
                    notify(dsl, resultChannel, Long.toString(id));
                }
                return new Cancellation(true, true, job.getKind(), job.getQueue(), job.getAttempt());
            }
            int running = dsl.update(JOBS)
                    .set(JOBS.CANCEL_REQUESTED_AT, DSL.coalesce(JOBS.CANCEL_REQUESTED_AT, DSL.currentOffsetDateTime()))
                    .where(JOBS.ID.eq(id)).and(JOBS.STATE.eq(JobState.RUNNING.dbName()))
                    .execute();
            if (running > 0) {
                notify(dsl, notifyChannel, "c:" + id);
                return Cancellation.REQUESTED;
            }
            return Cancellation.NOTHING;
        });
    }

    /**
     * Makes a job that is not running available now, granting one more attempt if it had none left. A finished
     * unique job takes its unique key back (see V17); when another job holds it meanwhile, the retry fails with
     * {@link IllegalStateException} and changes nothing.
     */
    public boolean retry(long id) throws SQLException {
        return Sql.inTransaction(dataSource, connection -> {
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

    private boolean retry(DSLContext dsl, long id) {
        Optional<String> queue = dsl.update(JOBS)
                .set(JOBS.STATE, JobState.AVAILABLE.dbName())
                .set(JOBS.RUN_AT, DSL.currentOffsetDateTime())
                .set(JOBS.MAX_ATTEMPTS, DSL.greatest(JOBS.MAX_ATTEMPTS, JOBS.ATTEMPT.plus(1)))
                .setNull(JOBS.FINISHED_AT)
                .setNull(JOBS.CANCEL_REQUESTED_AT)
                .where(JOBS.ID.eq(id)).and(JOBS.STATE.ne(JobState.RUNNING.dbName()))
                .returning(JOBS.QUEUE)
                .fetchOptional().map(JobsRecord::getQueue);
        queue.ifPresent(q -> notify(dsl, notifyChannel, "q:" + q));
        return queue.isPresent();
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

    /** Sends a notification on {@code channel}, delivered when the surrounding transaction commits. */
    private static void notify(DSLContext dsl, String channel, String payload) {
        dsl.select(DSL.function("pg_notify", Object.class, DSL.val(channel), DSL.val(payload))).fetch();
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
                Sql.instant(r.getLeaseExpiresAt()), Sql.instant(r.getCancelRequestedAt()), r.getLastError(),
                r.getCheckpoint() == null ? null : r.getCheckpoint().data(),
                r.getProgress() == null ? null : r.getProgress().intValue(), r.getProgressMessage());
    }

    static JobAttempt toAttempt(AttemptsRecord r) {
        return new JobAttempt(r.getJobId(), r.getAttempt(), r.getNodeId(), Sql.instant(r.getStartedAt()),
                Sql.instant(r.getFinishedAt()), JobAttempt.Outcome.valueOf(r.getOutcome().toUpperCase(Locale.ROOT)),
                r.getErrorClass(), r.getMessage(), r.getStackTrace());
    }
}
