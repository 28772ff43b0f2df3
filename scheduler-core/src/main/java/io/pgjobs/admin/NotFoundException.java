package io.pgjobs.admin;

/**
 * An operator's action named something that does not exist: a job, a workflow, a queue or a schedule. It is an
 * {@link IllegalArgumentException} (the action's argument is wrong) whose message names the field and the
 * missing thing ({@code queue: no queue named 'mail'}), so that a caller may tell "no such thing" (the dashboard's
 * 404) apart from a value that is malformed (its 400). Nothing was changed or audited.
 */
public final class NotFoundException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal naming the field and what it did not find.
     *
     * @param message the field, a colon and what is missing, e.g. {@code id: no job 42}
     */
    public NotFoundException(String message) {
        super(message);
    }
}
