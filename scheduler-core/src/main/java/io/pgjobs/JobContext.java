package io.pgjobs;

import java.time.Duration;
import java.util.Map;

/** What a handler knows about the job it runs. The logging MDC carries the same facts while it runs. */
public interface JobContext<A> {
    long jobId();

    String kind();

    String queue();

    /** 1 for the first attempt. */
    int attempt();

    int maxAttempts();

    /** The deserialized args. */
    A args();

    /** The job's metadata (JSON objects become maps). */
    Map<String, Object> metadata();

    /** The id of the node running this attempt. */
    String nodeId();

    /**
     * True once the job was cancelled, its timeout passed, the scheduler is shutting down past its deadline,
     * or this node lost the job's lease. The handler's thread is also interrupted in each case; long loops
     * should check this and stop.
     */
    boolean isCancelled();

    /**
     * Extends this job's lease to at least {@code duration} from the database's now. Leases are renewed
     * automatically while the handler runs; call this before a step that may block renewals (a long GC pause
     * budget, say). Throws {@link PgJobsException} when this node no longer owns the job.
     */
    void extendLease(Duration duration);
}
