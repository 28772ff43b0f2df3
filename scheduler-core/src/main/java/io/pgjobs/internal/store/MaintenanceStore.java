package io.pgjobs.internal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * All SQL of the leader's chores. Each method is a single statement in its own short transaction, without JIT, under a
 * {@code statement_timeout}. The cleanups are capped batches that pick their rows with {@code FOR UPDATE SKIP
 * LOCKED} through a partial index, so they never wait on (or make wait) a worker that holds one of the rows; the
 * lag sample reads the jobs through their indexes without locking any and writes only its own table.
 */
public final class MaintenanceStore {
    /** The SQLSTATE of a statement cancelled by {@code statement_timeout}. */
    public static final String QUERY_CANCELED = "57014";

    /** How many jobs of one queue and kind a rescue batch took back. */
    public record Rescued(String queue, String kind, int count) {}

    /** What one dead-node cleanup batch did: rows deleted, and the ids among them that never stopped. */
    public record RemovedNodes(int count, List<String> lost) {}

    private final DataSource dataSource;
    private final String notifyChannel;
    private final String resultChannel;
    private final String rescueSql;
    private final String deleteFinishedSql;
    private final String deleteDeadNodesSql;
    private final List<String> deleteOldStatisticsSql;
    private final String sampleQueueLagSql;
    private final String jobRowCountsSql;
    private final String vacuumJobsSql;

    public MaintenanceStore(DataSource dataSource, String schema, String notifyChannel, String resultChannel) {
        this.dataSource = dataSource;
        this.notifyChannel = notifyChannel;
        this.resultChannel = resultChannel;
        // One statement moves each lost job on and writes its 'lost' attempt, so a late completion from the lost
        // node either ran first (and the job is no longer 'running', so it is not picked) or comes after and
        // finds the job no longer 'running' under that node and attempt (JobStore's completion guard). The update
        // takes the ids as an array, not as a join, so a row changed meanwhile is rechecked alone. A cancel
        // request ends the job cancelled; no attempts left discards it. Queues with rescued jobs are woken, and the
        // clients waiting for a job that ended so (V18) are told. The counts per queue and kind feed the
        // rescued-jobs metric.
        this.rescueSql = """
                with lost as materialized (
                    select id from %1$s.jobs
                    where state = 'running' and lease_expires_at < now()
                    order by lease_expires_at
                    limit ?
                    for update skip locked
                ), rescued as (
                    update %1$s.jobs j
                    set state = case when j.cancel_requested_at is not null then 'cancelled'
                                     when j.attempt >= j.max_attempts then 'discarded'
                                     else 'retryable' end,
                        run_at = case when j.cancel_requested_at is not null or j.attempt >= j.max_attempts
                                      then j.run_at else now() end,
                        finished_at = case when j.cancel_requested_at is not null or j.attempt >= j.max_attempts
                                           then now() end,
                        last_error = 'node ' || coalesce(j.node_id, '?') || ' lost (lease expired)',
                        lease_expires_at = null
                    where j.id = any(array(select id from lost)) and j.state = 'running'
                    returning j.id, j.attempt, j.node_id, j.started_at, j.state, j.queue, j.kind, j.result_awaited
                ), recorded as (
                    insert into %1$s.attempts (job_id, attempt, node_id, started_at, finished_at, outcome, message)
                    select id, attempt, node_id, started_at, now(), 'lost',
                           'node ' || coalesce(node_id, '?') || ' lost (lease expired)'
                    from rescued
                ), notified as (
                    select pg_notify(?, 'q:' || queue) from (select distinct queue from rescued where state = 'retryable') q
                ), awaited as (
                    select pg_notify(?, id::text) from rescued where result_awaited and state <> 'retryable'
                )
                select queue, kind, count(*), (select count(*) from notified), (select count(*) from awaited)
                from rescued group by queue, kind
                """.formatted(schema);
        // The literal state list matches the jobs_finished partial index; the parameter narrows it to one class
        // of finished jobs, each with its own retention. A workflow step's incoming edges (V25) go with it, a
        // workflow with its last step, and a sealed batch (V26) with its last job.
        this.deleteFinishedSql = """
                with doomed as materialized (
                    select id from %1$s.jobs
                    where state in ('completed', 'cancelled', 'discarded') and state = any(?)
                      and finished_at < now() - ? * interval '1 millisecond'
                    order by finished_at
                    limit ?
                    for update skip locked
                ), deleted as (
                    delete from %1$s.jobs j using doomed where j.id = doomed.id
                    returning j.id, j.workflow_id, j.batch_id
                ), history as (
                    delete from %1$s.attempts a using deleted where a.job_id = deleted.id
                ), edges as (
                    delete from %1$s.job_dependencies d using deleted where d.job_id = deleted.id
                ), compensations as (
                    -- a saga step's compensation (V28) goes with the step
                    delete from %1$s.saga_compensations c using deleted where c.step_job_id = deleted.id
                ), workflows as (
                    -- a workflow goes with its last step; this statement still sees the steps it deletes
                    delete from %1$s.workflows w
                    where w.id in (select workflow_id from deleted)
                      and not exists (select 1 from %1$s.jobs j where j.workflow_id = w.id
                                      and j.id <> all(array(select id from deleted)))
                ), batches as (
                    -- a sealed batch goes with its last job (V26), as a workflow does
                    delete from %1$s.batches b
                    where b.id in (select batch_id from deleted) and b.sealed
                      and not exists (select 1 from %1$s.jobs j where j.batch_id = b.id
                                      and j.id <> all(array(select id from deleted)))
                )
                select count(*) from deleted
                """.formatted(schema);
        // The per-minute statistics (V4's job_stats, V6's queue_lag) by their key's leading column, a capped batch
        // at a time.
        this.deleteOldStatisticsSql = Stream.of("job_stats", "queue_lag").map(table -> """
                delete from %1$s.%2$s where ctid = any(array(
                    select ctid from %1$s.%2$s where minute < now() - ? * interval '1 millisecond' limit ?))
                """.formatted(schema, table)).toList();
        // Rows in key order, so that two leaders sampling at once (while leadership moves) lock them in the same
        // order; a minute sampled before keeps its largest values (V6).
        this.sampleQueueLagSql = """
                insert into %1$s.queue_lag as l (minute, queue, lag_ms, waiting, running)
                select date_trunc('minute', now()), s.name, s.lag_ms, s.waiting, s.running
                from (%2$s) s
                order by s.name
                on conflict (minute, queue) do update
                set lag_ms = greatest(l.lag_ms, excluded.lag_ms), waiting = greatest(l.waiting, excluded.waiting),
                    running = greatest(l.running, excluded.running)
                """.formatted(schema, QueueSql.queueSnapshot(schema));
        // The statistics system's count, at most about a second old; nothing is scanned.
        this.jobRowCountsSql = "select n_live_tup, n_dead_tup from pg_stat_user_tables where relid = '%1$s.jobs'::regclass"
                .formatted(schema);
        // INDEX_CLEANUP ON: the dead entries in the indexes are the point, and by default vacuum leaves indexes
        // alone when few heap pages hold dead rows.
        this.vacuumJobsSql = "vacuum (index_cleanup on) %1$s.jobs".formatted(schema);
        // a node's registered queue settings (node_queues, V27) go with its row, and so do any left without one
        this.deleteDeadNodesSql = """
                with dead as (
                    delete from %1$s.nodes where id in (
                        select id from %1$s.nodes where heartbeat_at < now() - ? * interval '1 millisecond'
                        limit ? for update skip locked)
                    returning id, stopped_at is null as lost
                ), settings as (
                    delete from %1$s.node_queues q
                    where q.node_id in (select id from dead)
                       or not exists (select 1 from %1$s.nodes n where n.id = q.node_id)
                )
                select id, lost from dead
                """.formatted(schema);
    }

    /**
     * Returns up to {@code limit} jobs whose lease expired to retryable (or discarded, or cancelled); the result
     * counts them per queue and kind (empty when there were none).
     */
    public List<Rescued> rescueLostJobs(int limit, Duration timeout) throws SQLException {
        return timeLimited(timeout, rescueSql, (connection, ps) -> {
            ps.setInt(1, limit);
            ps.setString(2, notifyChannel);
            ps.setString(3, resultChannel);
            List<Rescued> rescued = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rescued.add(new Rescued(rs.getString(1), rs.getString(2), rs.getInt(3)));
                }
            }
            return rescued;
        });
    }

    /** Deletes up to {@code limit} jobs in {@code states} finished longer than {@code retention} ago, with their attempts. */
    public int deleteFinishedJobs(List<String> states, Duration retention, int limit, Duration timeout) throws SQLException {
        return timeLimited(timeout, deleteFinishedSql, (connection, ps) -> {
            ps.setArray(1, Sql.textArray(connection, states));
            ps.setLong(2, retention.toMillis());
            ps.setInt(3, limit);
            return countOf(ps);
        });
    }

    /** Deletes up to {@code limit} rows of the per-minute statistics older than {@code kept}. */
    public int deleteOldStatistics(Duration kept, int limit, Duration timeout) throws SQLException {
        int deleted = 0;
        for (String sql : deleteOldStatisticsSql) {
            int left = limit - deleted;
            if (left == 0) {
                break;
            }
            deleted += timeLimited(timeout, sql, (connection, ps) -> {
                ps.setLong(1, kept.toMillis());
                ps.setInt(2, left);
                return ps.executeUpdate();
            });
        }
        return deleted;
    }

    /** Writes the lag, waiting and running jobs of every queue into this minute's rows of queue_lag; returns how many. */
    public int sampleQueueLag(Duration timeout) throws SQLException {
        return timeLimited(timeout, sampleQueueLagSql, (connection, ps) -> ps.executeUpdate());
    }

    /**
     * Deletes up to {@code limit} node rows silent for longer than {@code silence}, and tells which of them never
     * marked themselves stopped (they crashed, or froze for that long).
     */
    public RemovedNodes deleteDeadNodes(Duration silence, int limit, Duration timeout) throws SQLException {
        return timeLimited(timeout, deleteDeadNodesSql, (connection, ps) -> {
            ps.setLong(1, silence.toMillis());
            ps.setInt(2, limit);
            int count = 0;
            List<String> lost = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    count++;
                    if (rs.getBoolean(2)) {
                        lost.add(rs.getString(1));
                    }
                }
            }
            return new RemovedNodes(count, lost);
        });
    }

    /** Live and dead row versions of the jobs table, as the statistics system counts them. */
    public record RowCounts(long live, long dead) {}

    public RowCounts jobRowCounts() throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(jobRowCountsSql); ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new RowCounts(rs.getLong(1), rs.getLong(2)) : new RowCounts(0, 0);
            }
        });
    }

    /**
     * Vacuums the jobs table (outside a transaction, as VACUUM must be); returns null, or the server's warning
     * when it skipped the table (the role may not vacuum it).
     */
    public String vacuumJobs() throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute(vacuumJobsSql);
                SQLWarning warning = statement.getWarnings();
                return warning == null ? null : warning.getMessage();
            }
        });
    }

    /** The work of one chore statement, given its connection and prepared statement. */
    @FunctionalInterface
    private interface StatementWork<T> {
        T run(Connection connection, PreparedStatement statement) throws SQLException;
    }

    /** Runs one chore statement in its own transaction, under the chore's per-query time limit and without JIT. */
    private <T> T timeLimited(Duration timeout, String sql, StatementWork<T> work) throws SQLException {
        return Sql.inTransactionWithoutJit(dataSource, timeout, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                return work.run(connection, statement);
            }
        });
    }

    private static int countOf(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
