package io.pgjobs.admin;

/** What an operator can do to a job; each maps to the {@link io.pgjobs.JobClient} method of the same name. */
public enum JobAction {
    /** {@link io.pgjobs.JobClient#retry}. */
    RETRY,
    /** {@link io.pgjobs.JobClient#cancel}. */
    CANCEL,
    /** {@link io.pgjobs.JobClient#delete}. */
    DELETE
}
