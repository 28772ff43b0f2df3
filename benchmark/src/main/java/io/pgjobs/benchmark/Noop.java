package io.pgjobs.benchmark;

import io.pgjobs.JobKind;

/** The benchmark's job: does nothing; {@code sentNanos} > 0 asks the node to report when it started. */
@JobKind("bench.noop")
public record Noop(long sentNanos) {}
