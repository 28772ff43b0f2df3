package io.pgjobs.internal.runtime;

import io.pgjobs.internal.observe.Telemetry;
import io.pgjobs.internal.store.ExecutionStore;
import io.pgjobs.internal.store.WorkflowStore;
import io.pgjobs.spi.JobSerializer;
import io.pgjobs.spi.RetryPolicy;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every {@link JobExecution} of a started node shares: the node's id, the serializer, the default retry
 * policy, the telemetry that opens its span, the timer of its timeout, the store that extends its lease and saves
 * its checkpoint and progress, the store that reads a workflow step's parents, the largest checkpoint it may save
 * (the scheduler's {@code maxArgsBytes}), and how long after its claim was sent a job may still start
 * ({@code startWithinNanos}: half the lease, see {@link JobExecution#run}).
 */
record ExecutionEnvironment(String nodeId, JobSerializer serializer, RetryPolicy retryPolicy, Telemetry telemetry,
                            ScheduledExecutorService timer, ExecutionStore store, WorkflowStore workflows,
                            int maxCheckpointBytes, long startWithinNanos) {}
