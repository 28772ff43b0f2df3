package io.pgjobs.admin;

/** What an operator can do to a job; each maps to the {@link io.pgjobs.JobClient} method of the same name. */
public enum JobAction { RETRY, CANCEL, DELETE }
