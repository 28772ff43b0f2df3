/**
 * {@link io.pgjobs.internal.client.DefaultJobClient}, the {@link io.pgjobs.JobClient}: it validates and
 * serializes every request before anything is written, then hands the jobs to {@code JobWriter}, and reads and
 * acts on single jobs through {@code JobStore}. It needs no started node.
 */
package io.pgjobs.internal.client;
