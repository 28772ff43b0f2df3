package io.pgjobs.benchmark;

import io.pgjobs.JobClient;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import java.util.List;

/** The benchmark's job: does nothing; {@code sentNanos} > 0 asks the node to report when it started. */
@JobKind("bench.noop")
public record Noop(long sentNanos) {
    /** {@code count} no-op jobs that ask for no report. */
    static List<JobRequest> requests(int count) {
        return FlowSetup.NONE.requests(count);
    }

    /** Enqueues {@code jobs} no-op jobs in batches of {@code batchSize}, one transaction each. */
    static void enqueue(JobClient client, int jobs, int batchSize) {
        enqueue(client, jobs, batchSize, FlowSetup.NONE);
    }

    /** The same, spread over the partitions of {@code flow}. */
    static void enqueue(JobClient client, int jobs, int batchSize, FlowSetup flow) {
        for (int done = 0; done < jobs; done += batchSize) {
            client.enqueueAll(flow.requests(Math.min(batchSize, jobs - done)));
        }
    }
}
