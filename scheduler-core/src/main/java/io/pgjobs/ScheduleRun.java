package io.pgjobs;

import java.time.Instant;

/**
 * A job that a schedule enqueued: for its timetable's {@code fireTime}, or when an operator triggered it
 * ({@code manual}). {@code state}, {@code startedAt} and {@code finishedAt} are the job's as it is now (the start
 * of its latest attempt); a null {@code state} means the job is gone, deleted by retention or by an operator.
 *
 * @param jobId the job's id
 * @param fireTime the fire time it was enqueued for; for a manual run, when it was triggered
 * @param manual whether an operator triggered it
 * @param state the job's state now; null when the job is gone
 * @param startedAt when its latest attempt started; null if none
 * @param finishedAt when it finished; null until then
 */
public record ScheduleRun(long jobId, Instant fireTime, boolean manual, JobState state, Instant startedAt,
                          Instant finishedAt) {}
