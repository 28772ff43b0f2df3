package io.pgjobs.internal.store;

import static io.pgjobs.internal.db.Tables.JOBS;

import io.pgjobs.EnqueueResult;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * Inserts jobs, on the caller's connection (so a job commits or rolls back with the caller's own writes). Four
 * routes, all hand-written SQL prepared once: one job without a key (a bare INSERT), one job with a key (the
 * same with ON CONFLICT), a batch (one INSERT from arrays) and a big batch of jobs due now without keys (COPY).
 * Every route notifies the queues that got runnable jobs, at commit. See docs/performance.md for what each
 * route costs.
 */
public final class JobWriter {
    private final DataSource dataSource;
    private final String schema;
    private final String notifyChannel;
    /** Package-private for BatchInsertPlanTest. */
    final String insertSql;
    private final String insertOneSql;
    private final String insertOneKeyedSql;
    private final String drawIdsSql;
    private final String copySql;

    public JobWriter(DataSource dataSource, String schema, String notifyChannel) {
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
        // call, which costs as much as inserting several of its jobs; see BatchInsertPlanTest and
        // docs/performance.md.
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
        // application makes most, and without the arrays, the ordinality join and the id matching it costs much
        // less. A job without a key is inserted without ON CONFLICT (see above).
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
                + "ordering_key) from stdin")
                .formatted(jobs);
    }

    private static String insertOneSql(String jobs, String onConflict) {
        // The notification is sent from RETURNING, so the statement is a bare INSERT: wrapped in a CTE with a
        // scalar subquery for the notification, it took measurably more a call (docs/performance.md, "Enqueue").
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

    /** From this many jobs on, a batch of jobs due now without idempotency keys goes in by COPY. */
    private static final int COPY_MIN_JOBS = 100;

    /** Inserts {@code jobs} on a connection of its own, committed when it returns. */
    public List<EnqueueResult> insert(List<NewJob> jobs) throws SQLException {
        // One job is one INSERT statement, atomic on its own: autocommit saves the round trip of a COMMIT.
        // A batch needs the transaction, since resolving vanished idempotency keys may take a second statement.
        return jobs.size() == 1
                ? Sql.autoCommit(dataSource, connection -> insert(connection, jobs))
                : Sql.inTransaction(dataSource, connection -> insert(connection, jobs));
    }

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
     * (one WAL record per page instead of one per row), and nothing is planned or unnested. It takes two round
     * trips where the INSERT takes one, so it only pays from {@link #COPY_MIN_JOBS} jobs on (docs/performance.md,
     * "Enqueue"). The ids are drawn first so that they are known in order; state and run_at are left to the
     * columns' defaults ('available' and now(), the database's clock). The connection must not be in autocommit: the notifications are queued before the
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
}
