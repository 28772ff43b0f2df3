/**
 * {@link io.pgjobs.internal.client.DefaultJobClient}, the {@link io.pgjobs.JobClient}: it validates and
 * serializes every request before anything is written (with a unique job's key, {@code UniqueKeys}), admits
 * the jobs to queues that have a maximum depth ({@code EnqueueBackpressure}), then hands them to
 * {@code JobWriter}, and reads and acts on single jobs through {@code JobStore}. {@code ResultWaiter} waits for
 * finished jobs ({@code awaitResult}). It needs no started node.
 */
package io.pgjobs.internal.client;
