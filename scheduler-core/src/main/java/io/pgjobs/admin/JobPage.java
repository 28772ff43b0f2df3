package io.pgjobs.admin;

import io.pgjobs.Job;
import java.util.List;

/** One page of jobs, newest first; {@code nextBeforeId} is null on the last page. */
public record JobPage(List<Job> jobs, Long nextBeforeId) {}
