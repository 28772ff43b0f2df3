package io.pgjobs.benchmark;

import io.pgjobs.JobRequest;
import io.pgjobs.PartitionKey;
import io.pgjobs.Scheduler;
import java.util.ArrayList;
import java.util.List;

/**
 * The flow control a drain's node applies to its queue "default" (docs/flow-control.md), and the partition keys
 * the drain's jobs carry: none, a cluster-wide limit, or a limit per partition. It travels to the node JVM as one
 * command-line argument ({@link #argument}).
 *
 * @param queueLimit the queue's cluster-wide limit, 0 for none
 * @param partitions how many partition keys the jobs are spread over (round robin), 0 for none
 * @param partitionLimit the limit of each partition (with {@code partitions})
 */
record FlowSetup(int queueLimit, int partitions, int partitionLimit) {
    static final FlowSetup NONE = new FlowSetup(0, 0, 0);

    static FlowSetup queueLimit(int limit) {
        return new FlowSetup(limit, 0, 0);
    }

    static FlowSetup partitions(int partitions, int limit) {
        return new FlowSetup(0, partitions, limit);
    }

    String argument() {
        return queueLimit + "," + partitions + "," + partitionLimit;
    }

    static FlowSetup parse(String argument) {
        String[] parts = argument.split(",");
        return new FlowSetup(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
    }

    /** The limits on the node's queue "default". */
    Scheduler.Builder apply(Scheduler.Builder node) {
        if (queueLimit > 0) {
            node.queueLimit("default", queueLimit);
        }
        if (partitions > 0) {
            node.partitionLimit("default", PartitionKey.requestKey(), partitionLimit);
        }
        return node;
    }

    /** {@code count} no-op jobs that ask for no report, spread over the partitions. */
    List<JobRequest> requests(int count) {
        List<JobRequest> requests = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            JobRequest request = JobRequest.of(new Noop(0));
            requests.add(partitions > 0 ? request.partitionKey("p" + i % partitions) : request);
        }
        return requests;
    }
}
