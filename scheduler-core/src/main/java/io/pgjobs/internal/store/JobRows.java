package io.pgjobs.internal.store;

import io.pgjobs.Job;
import io.pgjobs.JobAttempt;
import io.pgjobs.JobState;
import io.pgjobs.internal.db.tables.records.AttemptsRecord;
import io.pgjobs.internal.db.tables.records.JobsRecord;
import java.util.List;
import java.util.Locale;

/** Rows of the jobs and attempts tables as pgjobs' public types. */
final class JobRows {
    static Job toJob(JobsRecord r) {
        return new Job(r.getId(), r.getKind(), r.getQueue(), JobState.fromDb(r.getState()), r.getPriority(),
                Sql.instant(r.getRunAt()), r.getAttempt(), r.getMaxAttempts(), r.getArgs().data(),
                r.getIdempotencyKey(), List.of(r.getTags()), r.getMetadata().data(),
                r.getResult() == null ? null : r.getResult().data(), Sql.instant(r.getCreatedAt()),
                Sql.instant(r.getStartedAt()), Sql.instant(r.getFinishedAt()), r.getNodeId(),
                Sql.instant(r.getLeaseExpiresAt()), Sql.instant(r.getCancelRequestedAt()), r.getLastError(),
                r.getCheckpoint() == null ? null : r.getCheckpoint().data(),
                r.getProgress() == null ? null : r.getProgress().intValue(), r.getProgressMessage(),
                r.getPartitionKey(), r.getOrderingKey());
    }

    static JobAttempt toAttempt(AttemptsRecord r) {
        return new JobAttempt(r.getJobId(), r.getAttempt(), r.getNodeId(), Sql.instant(r.getStartedAt()),
                Sql.instant(r.getFinishedAt()), JobAttempt.Outcome.valueOf(r.getOutcome().toUpperCase(Locale.ROOT)),
                r.getErrorClass(), r.getMessage(), r.getStackTrace());
    }

    private JobRows() {}
}
