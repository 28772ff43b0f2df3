package io.pgjobs.internal.store;

import io.pgjobs.JobState;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.admin.BatchFilter;
import io.pgjobs.admin.BatchPage;
import io.pgjobs.admin.BatchSummary;
import io.pgjobs.admin.JobGroups;
import io.pgjobs.admin.PageRequest;
import io.pgjobs.admin.WorkflowDetail;
import io.pgjobs.admin.WorkflowFilter;
import io.pgjobs.admin.WorkflowSummary;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Array;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * What operators read of workflows and batches (the admin API's lists, a workflow's runs, the groups of a job).
 * A workflow's state is not stored (docs/workflows.md: derived from its steps), so a list filtered by state
 * counts the steps of each workflow it looks at, through the index of steps by workflow, and looks at a bounded
 * number of workflows per call. Hand-written SQL, prepared once per call.
 */
public final class WorkflowViewStore {
    /** A scan of the workflows list: the page, the oldest id looked at, and whether the scan window filled. */
    public record Scan(List<WorkflowSummary> workflows, Long oldestScanned, boolean windowFull) {}

    private final DataSource dataSource;
    private final String workflowsSql;
    private final String runsSql;
    private final String batchesSql;
    private final String groupsSql;
    private final String stateCountsSql;

    public WorkflowViewStore(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        // Each workflow's steps counted per state (the index jobs_workflow), its state derived as
        // WorkflowStatus#state derives it: a saga's from its saga state (V28); any other's from its steps,
        // running while a step is unfinished, else completed if all completed.
        String summaries = """
                select w.id, w.name, w.on_failure, w.created_at, s.states, s.counts, s.first_started, s.last_finished,
                       case when w.saga_state in ('running', 'compensating') then 'RUNNING'
                            when w.saga_state = 'completed' then 'COMPLETED'
                            when w.saga_state is not null then 'FAILED'
                            when s.unfinished > 0 then 'RUNNING' when s.total = s.completed then 'COMPLETED'
                            else 'FAILED' end as state
                from %1$s.workflows w
                cross join lateral (
                    select array_agg(c.state order by c.state) as states, array_agg(c.n order by c.state) as counts,
                           coalesce(sum(c.n), 0) as total,
                           coalesce(sum(c.n) filter (where c.state = 'completed'), 0) as completed,
                           coalesce(sum(c.n) filter (where c.state not in ('completed', 'discarded', 'cancelled')), 0)
                               as unfinished,
                           min(c.first_started) as first_started, max(c.last_finished) as last_finished
                    from (select j.state, count(*) as n, min(j.started_at) as first_started,
                                 max(j.finished_at) as last_finished
                          from %1$s.jobs j where j.workflow_id = w.id group by j.state) c
                ) s
                """.formatted(schema);
        // The newest workflows below the cursor that match the name and time filters, at most a window of them;
        // of those, the page that matches the state. The last row carries the oldest id the window looked at.
        this.workflowsSql = """
                with scanned as (
                    %2$s
                    where (?::bigint is null or w.id < ?) and (?::text is null or starts_with(w.name, ?))
                      and (?::timestamptz is null or w.created_at >= ?::timestamptz)
                      and (?::timestamptz is null or w.created_at < ?::timestamptz)
                      and s.total > 0
                    order by w.id desc limit ?
                ), matching as (
                    select * from scanned where ?::text is null or state = ? order by id desc limit ?
                )
                select m.id, m.name, m.on_failure, m.created_at, m.states, m.counts, m.first_started, m.last_finished,
                       m.state, (select min(id) from scanned), (select count(*) from scanned)
                from matching m
                union all
                select null, null, null, null, null, null, null, null, null, (select min(id) from scanned),
                       (select count(*) from scanned)
                order by 1 desc nulls last
                """.formatted(schema, summaries);
        this.stateCountsSql = """
                select state, count(*) from (%2$s where s.total > 0 order by w.id desc limit ?) newest group by state
                """.formatted(schema, summaries);
        this.runsSql = """
                select j.step_name, j.id, j.kind, j.queue, j.state, j.attempt, j.max_attempts, j.started_at,
                       j.finished_at,
                       case when j.started_at is null then null
                            else (extract(epoch from (case when j.state = 'running' then now()
                                                           else coalesce(j.finished_at, j.started_at) end)
                                                     - j.started_at) * 1000)::bigint end,
                       w.created_at
                from %1$s.workflows w join %1$s.jobs j on j.workflow_id = w.id
                where w.id = ? order by j.id
                """.formatted(schema);
        this.batchesSql = """
                select b.id, b.name, b.sealed, b.total, b.completed, b.discarded, b.cancelled, b.created_at,
                       b.on_success->>'kind', b.success_job_id, b.on_discard->>'kind', b.discard_job_id,
                       b.on_complete->>'kind', b.complete_job_id
                from %1$s.batches b
                where (?::bigint is null or b.id < ?) and (?::text is null or starts_with(b.name, ?))
                  and (?::timestamptz is null or b.created_at >= ?::timestamptz)
                  and (?::timestamptz is null or b.created_at < ?::timestamptz)
                  and (?::text is null
                       or ?::text = 'OPEN' and not b.sealed
                       or ?::text = 'RUNNING' and b.sealed and b.completed + b.discarded + b.cancelled < b.total
                       or ?::text = 'FINISHED' and b.sealed and b.completed + b.discarded + b.cancelled = b.total)
                order by b.id desc limit ?
                """.formatted(schema);
        this.groupsSql = "select workflow_id, step_name, batch_id from %1$s.jobs where id = ?".formatted(schema);
    }

    /**
     * The newest at most {@code page.limit()} workflows below the cursor matching {@code filter}, among the
     * newest {@code window} that match its name and time range.
     */
    public Scan workflows(WorkflowFilter filter, PageRequest page, int window) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(workflowsSql)) {
                int at = 1;
                at = setPair(ps, at, page.beforeId(), Types.BIGINT);
                at = setPair(ps, at, filter.name(), Types.VARCHAR);
                at = setPair(ps, at, text(filter.createdFrom()), Types.VARCHAR);
                at = setPair(ps, at, text(filter.createdTo()), Types.VARCHAR);
                ps.setInt(at++, window);
                at = setPair(ps, at, filter.state() == null ? null : filter.state().name(), Types.VARCHAR);
                ps.setInt(at, page.limit());
                List<WorkflowSummary> workflows = new ArrayList<>();
                Long oldest = null;
                long scanned = 0;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        oldest = rs.getObject(10, Long.class);
                        scanned = rs.getLong(11);
                        if (rs.getObject(1) != null) {
                            workflows.add(summary(rs));
                        }
                    }
                }
                return new Scan(List.copyOf(workflows), oldest, scanned == window);
            }
        });
    }

    /** The newest {@code window} workflows counted by state. */
    public Map<WorkflowStatus.State, Integer> stateCounts(int window) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(stateCountsSql)) {
                ps.setInt(1, window);
                Map<WorkflowStatus.State, Integer> counts = new EnumMap<>(WorkflowStatus.State.class);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        counts.put(WorkflowStatus.State.valueOf(rs.getString(1)), rs.getInt(2));
                    }
                }
                return counts;
            }
        });
    }

    /** When workflow {@code id} was created and how each of its steps ran, in step order; empty if none. */
    public Optional<Runs> runs(long id) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(runsSql)) {
                ps.setLong(1, id);
                List<WorkflowDetail.StepRun> runs = new ArrayList<>();
                Instant createdAt = null;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        runs.add(new WorkflowDetail.StepRun(rs.getString(1), rs.getLong(2), rs.getString(3),
                                rs.getString(4), JobState.fromDb(rs.getString(5)), rs.getInt(6), rs.getInt(7),
                                instant(rs.getTimestamp(8)), instant(rs.getTimestamp(9)), rs.getObject(10, Long.class)));
                        createdAt = instant(rs.getTimestamp(11));
                    }
                }
                return runs.isEmpty() ? Optional.empty() : Optional.of(new Runs(createdAt, List.copyOf(runs)));
            }
        });
    }

    /** A workflow's creation time and its steps' runs. */
    public record Runs(Instant createdAt, List<WorkflowDetail.StepRun> steps) {}

    /** The newest at most {@code page.limit()} batches below the cursor matching {@code filter}. */
    public BatchPage batches(BatchFilter filter, PageRequest page) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(batchesSql)) {
                int at = 1;
                at = setPair(ps, at, page.beforeId(), Types.BIGINT);
                at = setPair(ps, at, filter.name(), Types.VARCHAR);
                at = setPair(ps, at, text(filter.createdFrom()), Types.VARCHAR);
                at = setPair(ps, at, text(filter.createdTo()), Types.VARCHAR);
                String state = filter.state() == null ? null : filter.state().name();
                for (int i = 0; i < 4; i++) {
                    ps.setObject(at++, state, Types.VARCHAR);
                }
                ps.setInt(at, page.limit());
                List<BatchSummary> batches = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        batches.add(batch(rs));
                    }
                }
                Long next = batches.size() == page.limit() ? batches.getLast().id() : null;
                return new BatchPage(List.copyOf(batches), next);
            }
        });
    }

    /** The workflow and batch job {@code jobId} belongs to; empty when there is no such job. */
    public Optional<JobGroups> groups(long jobId) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(groupsSql)) {
                ps.setLong(1, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new JobGroups(rs.getObject(1, Long.class), rs.getString(2),
                            rs.getObject(3, Long.class))) : Optional.empty();
                }
            }
        });
    }

    private static WorkflowSummary summary(ResultSet rs) throws SQLException {
        Map<JobState, Integer> steps = new EnumMap<>(JobState.class);
        Array states = rs.getArray(5);
        Array counts = rs.getArray(6);
        String[] names = (String[]) states.getArray();
        Long[] numbers = (Long[]) counts.getArray();
        for (int i = 0; i < names.length; i++) {
            steps.put(JobState.fromDb(names[i]), numbers[i].intValue());
        }
        return new WorkflowSummary(rs.getLong(1), rs.getString(2),
                Workflow.OnFailure.valueOf(rs.getString(3).toUpperCase(Locale.ROOT)),
                WorkflowStatus.State.valueOf(rs.getString(9)), steps, instant(rs.getTimestamp(4)),
                instant(rs.getTimestamp(7)), instant(rs.getTimestamp(8)));
    }

    private static BatchSummary batch(ResultSet rs) throws SQLException {
        boolean sealed = rs.getBoolean(3);
        int total = rs.getInt(4), completed = rs.getInt(5), discarded = rs.getInt(6), cancelled = rs.getInt(7);
        BatchFilter.BatchState state = !sealed ? BatchFilter.BatchState.OPEN
                : completed + discarded + cancelled == total ? BatchFilter.BatchState.FINISHED
                : BatchFilter.BatchState.RUNNING;
        return new BatchSummary(rs.getLong(1), rs.getString(2), state, sealed, total, completed, discarded,
                cancelled, instant(rs.getTimestamp(8)), callback(rs, 9), callback(rs, 11), callback(rs, 13));
    }

    private static BatchSummary.Callback callback(ResultSet rs, int at) throws SQLException {
        String kind = rs.getString(at);
        return kind == null ? null : new BatchSummary.Callback(kind, rs.getObject(at + 1, Long.class));
    }

    /** Binds {@code value} to the two placeholders of an "is null or" test. */
    private static int setPair(PreparedStatement ps, int at, Object value, int type) throws SQLException {
        ps.setObject(at, value, type);
        ps.setObject(at + 1, value, type);
        return at + 2;
    }

    /** An instant as PostgreSQL reads a timestamptz (ISO-8601, UTC); the filters keep it within years 1970..9999. */
    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
