package io.pgjobs.internal.store;

/**
 * The SQL of a queue's backlog, shared by the metrics gauges ({@code ObservationStore}), the operator's API
 * ({@code AdminStore}) and the lag history ({@code MaintenanceStore}), so that all of them mean the same by
 * lag and all read it the one cheap way: from V1's partial index {@code jobs_runnable (queue, priority, run_at,
 * id)}, a few probes per queue, never a scan or a {@code group by} over the jobs table.
 */
public final class QueueSql {
    /** The runnable states, written exactly as the predicate of V1's jobs_runnable so that the planner matches it. */
    public static final String RUNNABLE = "state in ('available', 'scheduled', 'retryable')";
    /** A queue's waiting jobs are counted up to one more than this: more reads as "at least". */
    public static final int WAITING_CAP = 10_000;

    /**
     * An SQL expression of type bigint: for how many milliseconds the oldest due runnable job of the queue named
     * by the SQL expression {@code queue} has been due, 0 when none is. One probe of jobs_runnable per priority
     * (0 to 9, V1's check): within a queue the index is ordered by priority first, so only within one priority
     * is the first due entry the oldest.
     */
    public static String lagMs(String schema, String queue) {
        return """
                coalesce((select (extract(epoch from now() - min(o.run_at)) * 1000)::bigint
                          from generate_series(0, 9) p
                          cross join lateral (select j.run_at from %1$s.jobs j
                                              where j.queue = %2$s and j.priority = p and %3$s and j.run_at <= now()
                                              order by j.run_at limit 1) o), 0)""".formatted(schema, queue, RUNNABLE);
    }

    /**
     * A query of every queue worth showing, one row each: {@code name}, {@code waiting} (its runnable jobs,
     * counted up to {@link #WAITING_CAP} + 1), {@code running} and {@code lag_ms}. A queue is worth showing when it
     * has runnable jobs, a row in {@code queues} (settings), a live node working it, or work done in the last hour
     * (a key range of job_stats). The names with runnable jobs come from a skip scan of jobs_runnable (one
     * probe per queue), not from reading every row; running jobs are few (bounded by the workers) and counted
     * through V1's jobs_running.
     */
    public static String queueSnapshot(String schema) {
        return """
                with recursive runnable(name) as (
                    (select queue from %1$s.jobs where %2$s order by queue limit 1)
                    union all
                    select (select queue from %1$s.jobs where %2$s and queue > r.name order by queue limit 1)
                    from runnable r where r.name is not null
                ), names as (
                    select name from runnable where name is not null
                    union select name from %1$s.queues
                    union select unnest(queues) from %1$s.nodes where stopped_at is null
                    union select distinct queue from %1$s.job_stats where minute >= now() - interval '1 hour'
                ), running as (
                    select queue, count(*) as jobs from %1$s.jobs where state = 'running' group by queue
                )
                select n.name,
                       (select count(*) from (select 1 from %1$s.jobs j where j.queue = n.name and %2$s
                                              limit %3$d) w) as waiting,
                       coalesce(r.jobs, 0) as running,
                       %4$s as lag_ms
                from names n left join running r on r.queue = n.name
                """.formatted(schema, RUNNABLE, WAITING_CAP + 1, lagMs(schema, "n.name"));
    }

    private QueueSql() {}
}
