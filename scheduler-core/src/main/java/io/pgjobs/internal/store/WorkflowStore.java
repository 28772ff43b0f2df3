package io.pgjobs.internal.store;

import io.pgjobs.CompensatedStep;
import io.pgjobs.EnqueuedWorkflow;
import io.pgjobs.JobState;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.WorkflowStep;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Workflows (V25, docs/workflows.md): enqueueing one with its steps and their dependencies in one statement, the
 * reads of its steps (the client's, and a running step's of its parents), and the workflow-wide cancel and retry.
 * Releasing a finished step's dependants is not here but in the database, in the trigger of V25, so that every
 * way a step finishes releases them in its own transaction. Hand-written SQL, prepared once per call.
 */
public final class WorkflowStore {
    /** A step to insert: its name, its job, the names of the steps it depends on, its compensation (or null). */
    public record NewStep(String name, NewJob job, List<String> dependsOn, NewJob compensation) {}

    private final DataSource dataSource;
    /** The longest any transaction of this store may run, or pause between statements (see Sql#inTransaction). */
    private final Duration transactionLimit;
    private final String notifyChannel;
    private final String resultChannel;
    private final String insertSql;
    private final String stepsSql;
    private final String parentsSql;
    private final String lockStepsSql;
    private final String cancelSql;
    /** Package-private for {@code WorkflowRetryPlanTest}, which reads its plan. */
    final String retrySql;
    private final String compensatedStepSql;
    private final String retryCompensationSql;

    public WorkflowStore(DataSource dataSource, String schema, String notifyChannel, String resultChannel,
                         Duration transactionLimit) {
        this.dataSource = dataSource;
        this.transactionLimit = transactionLimit;
        this.notifyChannel = notifyChannel;
        this.resultChannel = resultChannel;
        // One statement: the workflow's row, its steps (ids drawn up front, so that the edges can name them),
        // then its edges. A step with dependencies goes in 'pending' with their number, where the claim never
        // sees it; the others as any job. A saga's compensations are kept as the jobs to insert when due (V28).
        // Queues with runnable steps are notified at commit.
        this.insertSql = """
                with workflow as (
                    insert into %1$s.workflows (name, on_failure, saga_state) values (?, ?, ?) returning id
                ), input as (
                    select nextval('%1$s.jobs_id_seq') as id, t.*, t.args::jsonb as document,
                           coalesce(t.run_at, now() + t.delay_ms * interval '1 millisecond') as due
                    from unnest(?::text[], ?::text[], ?::text[], ?::smallint[], ?::timestamptz[], ?::bigint[],
                                ?::int[], ?::text[], ?::text[], ?::text[], ?::int[])
                         with ordinality as t(step, kind, queue, priority, run_at, delay_ms, max_attempts, args, tags,
                                              metadata, dependencies, ord)
                ), steps as (
                    insert into %1$s.jobs (id, kind, queue, state, priority, run_at, max_attempts, args, args_sha256,
                                           tags, metadata, workflow_id, step_name, dependencies_left)
                    select id, kind, queue,
                           case when dependencies > 0 then 'pending' when due > now() then 'scheduled'
                                else 'available' end,
                           priority, due, max_attempts, document, %2$s, tags::text[], metadata::jsonb,
                           (select id from workflow), step, dependencies
                    from input order by ord
                    returning queue, state
                ), edges as (
                    insert into %1$s.job_dependencies (depends_on, job_id)
                    select p.id, c.id
                    from unnest(?::text[], ?::text[]) as e(parent, child)
                    join input p on p.step = e.parent
                    join input c on c.step = e.child
                ), compensations as (
                    insert into %1$s.saga_compensations (step_job_id, workflow_id, request)
                    select i.id, (select id from workflow),
                           jsonb_build_object('kind', c.kind, 'queue', c.queue, 'priority', c.priority,
                                              'max_attempts', c.max_attempts, 'args', c.args::jsonb,
                                              'tags', to_jsonb(c.tags::text[]), 'metadata', c.metadata::jsonb)
                    from unnest(?::text[], ?::text[], ?::text[], ?::int[], ?::int[], ?::text[], ?::text[], ?::text[])
                         as c(step, kind, queue, priority, max_attempts, args, tags, metadata)
                    join input i on i.step = c.step
                ), notified as (
                    select pg_notify(?, 'q:' || queue)
                    from (select distinct queue from steps where state = 'available') q
                )
                select (select id from workflow), step, id from input
                union all
                select null, null, null from (select count(*) from notified) sent -- pg_notify runs only if read
                """.formatted(schema, JobWriter.argsSha256Sql("document"));
        // A step as the client sees it, with the names of the steps it depends on and its compensation (V28):
        // the compensation's kind, and its job's id and state once it is due. The names are aggregated once for
        // all the steps read, not in a subquery per step: a workflow is often read before its rows' first
        // analyze, and a per-step subquery planned on such statistics scanned the jobs table once per step
        // (docs/workflows.md, "Limits and costs").
        String stepColumns = "j.step_name, j.id, j.state, j.result::text, j.last_error, coalesce(deps.names, '{}'), "
                + "c.request->>'kind', c.job_id, cj.state";
        String stepJoins = """
                left join (select d.job_id, array_agg(p.step_name order by p.id) names
                           from %1$s.job_dependencies d join %1$s.jobs p on p.id = d.depends_on
                           where d.job_id in (%2$s)
                           group by d.job_id) deps on deps.job_id = j.id
                left join %1$s.saga_compensations c on c.step_job_id = j.id
                left join %1$s.jobs cj on cj.id = c.job_id
                """;
        // One statement, so the saga's state and its steps' and compensations' states are of one moment.
        this.stepsSql = """
                select w.name, w.on_failure, w.saga_state, %2$s
                from %1$s.workflows w join %1$s.jobs j on j.workflow_id = w.id
                %3$s
                where w.id = ? order by j.id
                """.formatted(schema, stepColumns,
                stepJoins.formatted(schema, "select id from %s.jobs where workflow_id = ?".formatted(schema)));
        this.parentsSql = """
                select %2$s
                from %1$s.job_dependencies e join %1$s.jobs j on j.id = e.depends_on
                %3$s
                where e.job_id = ? order by j.id
                """.formatted(schema, stepColumns,
                stepJoins.formatted(schema, "select depends_on from %s.job_dependencies where job_id = ?".formatted(schema)));
        // Cancel and retry lock the workflow's steps first, in id order (the order completions lock them, and
        // parents before their dependants), in a statement of their own: the statement that then changes them
        // reads their latest versions (see ExecutionStore#complete for why).
        this.lockStepsSql = "select id from %1$s.jobs where workflow_id = ? order by id for update".formatted(schema);
        // Steps that have not started are cancelled; running ones are asked to stop, as JobStore#cancel does.
        // The trigger of V25 then cancels or releases nothing more: every pending step is cancelled here.
        this.cancelSql = """
                with stopped as (
                    update %1$s.jobs
                    set state = 'cancelled', finished_at = now(), cancel_requested_at = now(), dependencies_left = null
                    where workflow_id = ? and state in ('pending', 'scheduled', 'available', 'retryable')
                    returning id, result_awaited
                ), asked as (
                    update %1$s.jobs set cancel_requested_at = coalesce(cancel_requested_at, now())
                    where workflow_id = ? and state = 'running'
                    returning id
                ), notified as (
                    select pg_notify(?, id::text) from stopped where result_awaited
                    union all
                    select pg_notify(?, 'c:' || id) from asked
                )
                select (select count(*) from stopped) + (select count(*) from asked),
                       (select count(*) from notified)
                """.formatted(schema);
        // The failed steps, and the pending ones, count again the dependencies that have not completed (a
        // failed step taken back counts as not completed, so a dependant of it that a 'run_dependants' workflow
        // already released is not released twice); none left: available now. Completed steps stay as they are.
        // The parents not completed are counted in one join grouped by step, not in a subquery per step, for the
        // reason the reads above are (a retry follows a failure closely, often before the workflow's rows were
        // first analyzed). Nor is a grouped subquery joined to the steps: planned for one step, it was aggregated
        // again for every step (docs/workflows.md, "Limits and costs").
        this.retrySql = """
                with counted as (
                    select j.id, j.state <> 'pending' as failed, count(p.id)::int as dependencies_left
                    from %1$s.jobs j
                    left join %1$s.job_dependencies d on d.job_id = j.id
                    left join %1$s.jobs p on p.id = d.depends_on and p.state <> 'completed'
                    where j.workflow_id = ? and j.state in ('pending', 'discarded', 'cancelled')
                      -- a saga undoes what failed instead (V28): it is not run again
                      and not exists (select 1 from %1$s.workflows w where w.id = j.workflow_id
                                                                      and w.saga_state is not null)
                    group by j.id
                ), retried as (
                    update %1$s.jobs j
                    set state = case when c.dependencies_left > 0 then 'pending' else 'available' end,
                        dependencies_left = c.dependencies_left, run_at = now(), finished_at = null,
                        cancel_requested_at = null, max_attempts = greatest(j.max_attempts, j.attempt + 1)
                    from counted c
                    where j.id = c.id
                    returning c.failed, j.state, j.queue
                ), notified as (
                    select pg_notify(?, 'q:' || queue) from (select distinct queue from retried
                                                             where state = 'available') q
                )
                select (select count(*) from retried where failed), (select count(*) from notified)
                """.formatted(schema);
        this.compensatedStepSql = """
                select c.workflow_id, s.step_name, s.id, s.args::text, s.result::text
                from %1$s.jobs j
                join %1$s.saga_compensations c on c.step_job_id = j.compensates
                join %1$s.jobs s on s.id = c.step_job_id
                where j.id = ?
                """.formatted(schema);
        // A saga whose compensation failed: that compensation's job runs again (as JobStore#retry takes back a
        // job), and the saga compensates again. The saga's row is locked first, so two operators retrying at once
        // take the job back once.
        this.retryCompensationSql = """
                with saga as (
                    select id from %1$s.workflows where id = ? and saga_state = 'compensation_failed' for update
                ), retried as (
                    update %1$s.jobs j
                    set state = 'available', run_at = now(), finished_at = null, cancel_requested_at = null,
                        max_attempts = greatest(j.max_attempts, j.attempt + 1)
                    from %1$s.saga_compensations c join saga s on s.id = c.workflow_id
                    where j.id = c.job_id and j.state in ('discarded', 'cancelled')
                    returning j.id, j.queue
                ), compensating as (
                    update %1$s.workflows w set saga_state = 'compensating'
                    from saga s where w.id = s.id and exists (select 1 from retried)
                    returning w.id
                ), notified as (
                    select pg_notify(?, 'q:' || queue) from (select distinct queue from retried) q
                    union all
                    select pg_notify(?, 'w:' || id || ':compensating') from compensating -- as V28's move_saga
                )
                select id from retried, (select count(*) from notified) sent
                """.formatted(schema);
    }

    /** Inserts a workflow (a saga when {@code saga}) and its steps in the transaction of {@code connection}. */
    public EnqueuedWorkflow insert(Connection connection, String name, Workflow.OnFailure onFailure, boolean saga,
                                   List<NewStep> steps) throws SQLException {
        int n = steps.size();
        String[] names = new String[n], kinds = new String[n], queues = new String[n], args = new String[n],
                tags = new String[n], metadata = new String[n];
        Short[] priorities = new Short[n];
        Timestamp[] runAts = new Timestamp[n];
        Long[] delays = new Long[n];
        Integer[] maxAttempts = new Integer[n], dependencies = new Integer[n];
        List<String> parents = new ArrayList<>(), children = new ArrayList<>();
        List<NewStep> compensated = steps.stream().filter(step -> step.compensation() != null).toList();
        for (int i = 0; i < n; i++) {
            NewStep step = steps.get(i);
            NewJob job = step.job();
            names[i] = step.name();
            kinds[i] = job.kind();
            queues[i] = job.queue();
            priorities[i] = (short) job.priority();
            runAts[i] = job.runAt() == null ? null : Timestamp.from(job.runAt());
            delays[i] = job.delayMs();
            maxAttempts[i] = job.maxAttempts();
            args[i] = job.argsJson();
            tags[i] = Sql.arrayLiteral(job.tags());
            metadata[i] = job.metadataJson();
            dependencies[i] = step.dependsOn().size();
            for (String parent : step.dependsOn()) {
                parents.add(parent);
                children.add(step.name());
            }
        }
        try (PreparedStatement ps = Sql.prepareForArrays(connection, insertSql)) {
            ps.setString(1, name);
            ps.setString(2, onFailure.dbName());
            ps.setString(3, saga ? "running" : null);
            ps.setArray(4, connection.createArrayOf("text", names));
            ps.setArray(5, connection.createArrayOf("text", kinds));
            ps.setArray(6, connection.createArrayOf("text", queues));
            ps.setArray(7, connection.createArrayOf("int2", priorities));
            ps.setArray(8, connection.createArrayOf("timestamptz", runAts));
            ps.setArray(9, connection.createArrayOf("int8", delays));
            ps.setArray(10, connection.createArrayOf("int4", maxAttempts));
            ps.setArray(11, connection.createArrayOf("text", args));
            ps.setArray(12, connection.createArrayOf("text", tags));
            ps.setArray(13, connection.createArrayOf("text", metadata));
            ps.setArray(14, connection.createArrayOf("int4", dependencies));
            ps.setArray(15, connection.createArrayOf("text", parents.toArray()));
            ps.setArray(16, connection.createArrayOf("text", children.toArray()));
            ps.setArray(17, column(connection, "text", compensated, NewStep::name));
            ps.setArray(18, column(connection, "text", compensated, step -> step.compensation().kind()));
            ps.setArray(19, column(connection, "text", compensated, step -> step.compensation().queue()));
            ps.setArray(20, column(connection, "int4", compensated, step -> step.compensation().priority()));
            ps.setArray(21, column(connection, "int4", compensated, step -> step.compensation().maxAttempts()));
            ps.setArray(22, column(connection, "text", compensated, step -> step.compensation().argsJson()));
            ps.setArray(23, column(connection, "text", compensated,
                    step -> Sql.arrayLiteral(step.compensation().tags())));
            ps.setArray(24, column(connection, "text", compensated, step -> step.compensation().metadataJson()));
            ps.setString(25, notifyChannel);
            long workflowId = 0;
            Map<String, Long> jobIds = new LinkedHashMap<>(n * 2);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getString(2) != null) {
                        workflowId = rs.getLong(1);
                        jobIds.put(rs.getString(2), rs.getLong(3));
                    }
                }
            }
            return new EnqueuedWorkflow(workflowId, jobIds);
        }
    }

    private static Array column(Connection connection, String type, List<NewStep> steps,
                                Function<NewStep, Object> value) throws SQLException {
        return connection.createArrayOf(type, steps.stream().map(value).toArray());
    }

    /** The workflow {@code id} and its steps; empty when there is none (or none of its steps is left). */
    public Optional<WorkflowStatus> status(long id) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(stepsSql)) {
                ps.setLong(1, id); // the steps whose dependencies are named
                ps.setLong(2, id);
                try (ResultSet rs = ps.executeQuery()) {
                    String name = null;
                    Workflow.OnFailure onFailure = null;
                    WorkflowStatus.SagaState sagaState = null;
                    List<WorkflowStep> steps = new ArrayList<>();
                    while (rs.next()) {
                        name = rs.getString(1);
                        onFailure = Workflow.OnFailure.valueOf(rs.getString(2).toUpperCase(Locale.ROOT));
                        String saga = rs.getString(3);
                        sagaState = saga == null ? null
                                : WorkflowStatus.SagaState.valueOf(saga.toUpperCase(Locale.ROOT));
                        steps.add(step(rs, 4));
                    }
                    return name == null ? Optional.empty()
                            : Optional.of(new WorkflowStatus(id, name, onFailure, sagaState, List.copyOf(steps)));
                }
            }
        });
    }

    /** The steps job {@code jobId} depends on, oldest first; empty for a job outside a workflow. */
    public List<WorkflowStep> parents(long jobId) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(parentsSql)) {
                ps.setLong(1, jobId); // the steps whose dependencies are named
                ps.setLong(2, jobId);
                List<WorkflowStep> parents = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        parents.add(step(rs, 1));
                    }
                }
                return List.copyOf(parents);
            }
        });
    }

    /** Cancels the unfinished steps of workflow {@code id} (see WorkflowClient#cancel); how many. */
    public int cancel(long id) throws SQLException {
        return Sql.inTransaction(dataSource, transactionLimit, connection -> cancel(connection, id));
    }

    /** {@link #cancel(long)} in the transaction of {@code connection} (an operator's, with its audit entry). */
    public int cancel(Connection connection, long id) throws SQLException {
        lockSteps(connection, id);
        try (PreparedStatement ps = connection.prepareStatement(cancelSql)) {
            ps.setLong(1, id);
            ps.setLong(2, id);
            ps.setString(3, resultChannel);
            ps.setString(4, notifyChannel);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Takes back the failed steps of workflow {@code id} (see WorkflowClient#retry); how many. */
    public int retry(long id) throws SQLException {
        return Sql.inTransaction(dataSource, transactionLimit, connection -> retry(connection, id));
    }

    /** {@link #retry(long)} in the transaction of {@code connection} (an operator's, with its audit entry). */
    public int retry(Connection connection, long id) throws SQLException {
        lockSteps(connection, id);
        try (PreparedStatement ps = connection.prepareStatement(retrySql)) {
            ps.setLong(1, id);
            ps.setString(2, notifyChannel);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * Retries the failed compensation of saga {@code id} in the transaction of {@code connection} (an operator's
     * action and its audit entry); the ids of the compensation jobs taken back, none when the saga's compensation
     * has not failed.
     */
    public List<Long> retryCompensation(Connection connection, long id) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(retryCompensationSql)) {
            ps.setLong(1, id);
            ps.setString(2, notifyChannel);
            ps.setString(3, notifyChannel);
            List<Long> retried = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    retried.add(rs.getLong(1));
                }
            }
            return List.copyOf(retried);
        }
    }

    private void lockSteps(Connection connection, long id) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(lockStepsSql)) {
            lock.setLong(1, id);
            lock.execute();
        }
    }

    /** The step this compensation job undoes; empty for any other job (or when retention deleted the step). */
    public Optional<CompensatedStep> compensatedStep(long jobId) throws SQLException {
        return Sql.autoCommit(dataSource, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(compensatedStepSql)) {
                ps.setLong(1, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next()
                            ? Optional.of(new CompensatedStep(rs.getLong(1), rs.getString(2), rs.getLong(3),
                                    rs.getString(4), rs.getString(5)))
                            : Optional.empty();
                }
            }
        });
    }

    private static WorkflowStep step(ResultSet rs, int first) throws SQLException {
        Array dependsOn = rs.getArray(first + 5);
        String compensationKind = rs.getString(first + 6);
        long compensationJob = rs.getLong(first + 7);
        String compensationState = rs.getString(first + 8);
        WorkflowStep.Compensation compensation = compensationKind == null ? null
                : new WorkflowStep.Compensation(compensationKind, compensationState == null ? null : compensationJob,
                        compensationState == null ? null : JobState.fromDb(compensationState));
        return new WorkflowStep(rs.getString(first), rs.getLong(first + 1), JobState.fromDb(rs.getString(first + 2)),
                List.copyOf(Arrays.asList((String[]) dependsOn.getArray())), rs.getString(first + 3),
                rs.getString(first + 4), compensation);
    }
}
