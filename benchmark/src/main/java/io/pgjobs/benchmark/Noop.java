package io.pgjobs.benchmark;

import io.pgjobs.JobClient;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import java.util.ArrayList;
import java.util.List;

/** The benchmark's job: does nothing; {@code sentNanos} > 0 asks the node to report when it started. */
@JobKind("bench.noop")
public record Noop(long sentNanos) {
    /** {@code count} no-op jobs that ask for no report. */
    static List<JobRequest> requests(int count) {
        List<JobRequest> requests = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            requests.add(JobRequest.of(new Noop(0)));
        }
        return requests;
    }

    /** Enqueues {@code jobs} no-op jobs in batches of {@code batchSize}, one transaction each. */
    static void enqueue(JobClient client, int jobs, int batchSize) {
        for (int done = 0; done < jobs; done += batchSize) {
            client.enqueueAll(requests(Math.min(batchSize, jobs - done)));
        }
    }
}
