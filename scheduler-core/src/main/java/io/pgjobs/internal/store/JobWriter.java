package io.pgjobs.internal.store;

import static io.pgjobs.internal.db.Tables.JOBS;
import static io.pgjobs.internal.db.Tables.QUEUES;

import io.pgjobs.EnqueueResult;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.postgresql.PGConnection;

/**
 * Inserts jobs, on the caller's connection (so a job commits or rolls back with the caller's own writes). Four
 * routes, all hand-written SQL prepared once: one job without a key (a bare INSERT), one job with a key (an
 * idempotency or a unique key: the same with ON CONFLICT), a batch (one INSERT from arrays) and a big batch of
 * jobs due now without keys (COPY). Every route notifies the queues that got runnable jobs, at commit, unless a
 * node polls the queue on its own ({@link BusyQueueStore}). See
 * docs/performance.md for what each route costs. The enqueue's side of the queues' maximum depths (reading them,
 * counting a queue's waiting jobs before an insert) is here too.
 */
public final class JobWriter {
    private final DataSource dataSource;
    /** The longest any transaction of this store may run, or pause between statements (see Sql#inTransaction). */
    private final Duration transactionLimit;
    private final String schema;
    private final String notifyChannel;
    /** Package-private for BatchInsertPlanTest. */
    final String insertSql;
    private final String insertOneSql;
    private final String insertOneKeyedSql;
    private final String existingUniqueKeysSql;
    private final String waitingJobsSql;
    private final String drawIdsSql;
    private final String copySql;

    public JobWriter(DataSource dataSource, String schema, String notifyChannel, Duration transactionLimit) {
        this.dataSource = dataSource;
        this.transactionLimit = transactionLimit;
        this.schema = schema;
        this.notifyChannel = notifyChannel;
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
        // every call, which costs as much as inserting several of its jobs; see BatchInsertPlanTest and
        // docs/performance.md.
        this.insertSql = """
                with input as (
                    select nextval('%1$s_id_seq') as id, t.*, t.args::jsonb as document,
                           coalesce(t.run_at, now() + t.delay_ms * interval '1 millisecond') as due,
                           %2$s as unique_key
                    from unnest(?::text[], ?::text[], ?::smallint[], ?::timestamptz[], ?::bigint[], ?::int[],
                                ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[],
                                ?::text[], ?::text[])
                         with ordinality as t(kind, queue, priority, run_at, delay_ms, max_attempts, args,
                                              idempotency_key, tags, metadata, unique_base, unique_period_ms,
                                              unique_states, partition_key, ordering_key, ord)
                ), unkeyed as (
                    insert into %1$s (id, kind, queue, state, priority, run_at, max_attempts, args, args_sha256, tags,
                                      metadata, partition_key, ordering_key)
                    select id, kind, queue, case when due > now() then 'scheduled' else 'available' end, priority, due,
                           max_attempts, document, %3$s, tags::text[], metadata::jsonb, partition_key, ordering_key
                    from input where idempotency_key is null and unique_key is null order by ord
                    returning id, queue, state
                ), keyed as (
                    insert into %1$s (id, kind, queue, state, priority, run_at, max_attempts, args, args_sha256,
                                      idempotency_key, tags, metadata, unique_key, unique_states, partition_key,
                                      ordering_key)
                    select id, kind, queue, case when due > now() then 'scheduled' else 'available' end, priority, due,
                           max_attempts, document, %3$s, idempotency_key, tags::text[], metadata::jsonb, unique_key,
                           unique_states::text[], partition_key, ordering_key
                    from input where idempotency_key is not null or unique_key is not null
                    order by idempotency_key, unique_key, ord
                    on conflict do nothing
                    returning id, queue, state
                ), notified as (
                    select pg_notify(?, 'q:' || queue)
                    from (select queue from unkeyed where state = 'available'
                          union select queue from keyed where state = 'available') q
                    where %4$s
                )
                select ord, id, idempotency_key is null and unique_key is null from input
                union all
                select null, id, null from keyed
                union all
                select null, null, null from (select count(*) from notified) sent -- pg_notify runs only if read
                """.formatted(jobs, uniqueKeySql("t.unique_base", "t.unique_period_ms"), argsSha256Sql("document"),
                BusyQueueStore.notifyGuardSql(schema, "q.queue"));
        // The same insert for one job, with plain parameters: the single transactional enqueue is the call an
        // application makes most, and without the arrays, the ordinality join and the id matching it costs much
        // less. A job without a key is inserted without ON CONFLICT (see above).
        this.insertOneSql = insertOneSql(jobs, schema, false);
        this.insertOneKeyedSql = insertOneSql(jobs, schema, true);
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
        // notifications queued (sent at commit) in one statement first. COPY takes no expressions, so the args'
        // checksums come with the rows, computed on the client (JsonbText).
        this.drawIdsSql = """
                select array(select nextval('%1$s_id_seq') from generate_series(1, ?)),
                       (select count(pg_notify(?, 'q:' || u.queue)) from unnest(?::text[]) as u(queue) where %2$s)
                """.formatted(jobs, BusyQueueStore.notifyGuardSql(schema, "u.queue"));
        this.copySql = ("copy %s (id, kind, queue, priority, max_attempts, args, args_sha256, tags, metadata, "
                + "partition_key, ordering_key) from stdin")
                .formatted(jobs);
    }

    private static String insertOneSql(String jobs, String schema, boolean keyed) {
        // The notification is sent from RETURNING, so the statement is a bare INSERT: wrapped in a CTE with a
        // scalar subquery for the notification, it took measurably more a call (docs/performance.md, "Enqueue").
        // A keyed job takes three more parameters (its unique key, see insertOne) and may conflict.
        return """
                insert into %1$s as j (kind, queue, state, priority, run_at, max_attempts, args, args_sha256,
                                       idempotency_key, tags, metadata, partition_key, ordering_key%2$s)
                select ?, ?, case when due > now() then 'scheduled' else 'available' end, ?, due, ?, document, %6$s, ?,
                       ?::text[], ?::jsonb, ?, ?%3$s
                from (select ?::jsonb as document,
                             coalesce(?::timestamptz, now() + ? * interval '1 millisecond') as due%4$s) d
                %5$s
                returning j.id,
                          case when j.state = 'available' and %7$s then pg_notify(?, 'q:' || j.queue) end is null
                """.formatted(jobs,
                keyed ? ", unique_key, unique_states" : "",
                keyed ? ", " + uniqueKeySql("unique_base", "unique_period_ms") + ", unique_states" : "",
                keyed ? ", ?::text as unique_base, ?::bigint as unique_period_ms, ?::text[] as unique_states" : "",
                keyed ? "on conflict do nothing" : "",
                argsSha256Sql("document"), BusyQueueStore.notifyGuardSql(schema, "j.queue"));
    }

    /**
     * The checksum V34 stores with a job, computed in the statement that inserts it from {@code document}, the
     * args as jsonb: the SHA-256 of the jsonb's text, which is what a node reads back and hashes. A row inserted
     * with it skips V34's trigger (its WHEN clause), whose PL/pgSQL call per row cost more than the hashing
     * (docs/performance.md, "Payload checksums"); the trigger is left for rows inserted by other means.
     */
    static String argsSha256Sql(String document) {
        return "sha256(convert_to(%s::text, 'UTF8'))".formatted(document);
    }

    /**
     * The unique key stored for a job: its base, and with a period the number of the database's current period
     * counted from the Unix epoch (null when the job has no unique key).
     */
    private static String uniqueKeySql(String base, String periodMs) {
        return "case when %2$s > 0 then %1$s || '@' || floor(extract(epoch from now()) * 1000 / %2$s)::bigint else %1$s end"
                .formatted(base, periodMs);
    }

    /** From this many jobs on, a batch of jobs due now without idempotency keys goes in by COPY. */
    private static final int COPY_MIN_JOBS = 100;

    /** What must hold before jobs are inserted, checked on the connection they will be inserted on. */
    public interface Admission {
        /** Returns to let {@code jobs} in, throws to keep them out (nothing is written then). */
        void admit(Connection connection, List<NewJob> jobs) throws SQLException;
    }

    /** Inserts {@code jobs} on a connection of its own, once {@code admission} lets them in; committed when it returns. */
    public List<EnqueueResult> insert(List<NewJob> jobs, Admission admission) throws SQLException {
        // One job is one INSERT statement, atomic on its own: autocommit saves the round trip of a COMMIT.
        // A batch needs the transaction, since resolving vanished idempotency keys may take a second statement.
        Sql.Work<List<EnqueueResult>> work = connection -> {
            admission.admit(connection, jobs);
            return insert(connection, jobs);
        };
        return jobs.size() == 1 ? Sql.autoCommit(dataSource, work) : Sql.inTransaction(dataSource, transactionLimit, work);
    }

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
                uniqueStates = new String[n], partitionKeys = new String[n], orderingKeys = new String[n];
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
            partitionKeys[i] = job.partitionKey();
            orderingKeys[i] = job.orderingKey();
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
            ps.setArray(14, connection.createArrayOf("text", partitionKeys));
            ps.setArray(15, connection.createArrayOf("text", orderingKeys));
            ps.setString(16, notifyChannel);
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
     * (one WAL record per page instead of one per row), and nothing is planned or unnested. It takes two round
     * trips where the INSERT takes one, so it only pays from {@link #COPY_MIN_JOBS} jobs on (docs/performance.md,
     * "Enqueue"). The ids are drawn first so that they are known in order; state and run_at are left to the
     * columns' defaults ('available' and now(), the database's clock). The args' checksums (V34) are worked out
     * here ({@link JsonbText}); a job whose args' jsonb text is left to the database goes in without one, and V34's
     * trigger computes it. The connection must not be in autocommit: the notifications are queued before the rows
     * are written.
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
            String checksum = JsonbText.sha256Hex(job.argsJson());
            if (checksum == null) {
                rows.append("\\N\t");
            } else {
                rows.append("\\\\x").append(checksum).append('\t'); // bytea's hex input, its backslash escaped
            }
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

    /** Inserts one job; returns its id, or 0 when its idempotency or unique key is already held. */
    private long insertOne(Connection connection, NewJob job) throws SQLException {
        String sql = job.keyed() ? insertOneKeyedSql : insertOneSql;
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, job.kind());
            ps.setString(2, job.queue());
            ps.setShort(3, (short) job.priority());
            ps.setInt(4, job.maxAttempts());
            ps.setString(5, job.idempotencyKey());
            ps.setString(6, Sql.arrayLiteral(job.tags()));
            ps.setString(7, job.metadataJson());
            ps.setString(8, job.partitionKey());
            ps.setString(9, job.orderingKey());
            ps.setString(10, job.argsJson());
            ps.setTimestamp(11, job.runAt() == null ? null : Timestamp.from(job.runAt()));
            ps.setLong(12, job.delayMs());
            int next = 13;
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

    // ---- the queues' maximum depths (backpressure at enqueue) --------------------------------------------

    /** Writes the maximum depths a node declares, each replacing what its queue had. */
    public void declareMaxDepths(Map<String, Integer> maxDepths) throws SQLException {
        Sql.inTransaction(dataSource, transactionLimit, connection -> {
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

    /**
     * The queues that have a maximum depth, and their maxima, read on {@code connection}: the enqueue's own, so
     * that an enqueue never holds two of the pool's connections at once.
     */
    public Map<String, Integer> maxDepths(Connection connection) throws SQLException {
        Map<String, Integer> maxDepths = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(
                "select name, max_depth from %s.queues where max_depth is not null".formatted(schema));
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                maxDepths.put(rs.getString(1), rs.getInt(2));
            }
        }
        return Map.copyOf(maxDepths);
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
}
