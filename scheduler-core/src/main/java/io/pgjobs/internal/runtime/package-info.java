/**
 * The node that runs jobs. {@link io.pgjobs.internal.runtime.Node} builds and starts the pipeline and stops it
 * in two phases. A job flows one way: a {@code QueueFetcher} per queue claims it, {@code Workers} run it as a
 * {@code JobExecution} (which turns the handler's end into a {@code Completion}), the {@code Completer} writes
 * completions in batches and reports them to {@code Telemetry}. The {@code LeaseKeeper} renews the leases of
 * the {@code HeldJobs}; the {@code NotificationListener} wakes fetchers and passes cancel requests on.
 */
package io.pgjobs.internal.runtime;
