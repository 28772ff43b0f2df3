package io.pgjobs;

import io.pgjobs.internal.values.PgValues;
import java.util.Objects;

/**
 * A group of jobs with callback jobs, created by {@link BatchClient#create}: jobs are added to it (at once or
 * over time) until it is sealed, and then its callbacks run once each: {@code onSuccess} when every job
 * completed, {@code onComplete} when every job finished however it ended, and {@code onDiscard} as soon as one job
 * is discarded (sealed or not). A callback job's metadata carries the batch's id under {@code pgjobs.batch_id}.
 * See docs/workflows.md#batches.
 */
public final class Batch {
    private final String name;
    private final JobRequest onSuccess;
    private final JobRequest onDiscard;
    private final JobRequest onComplete;

    private Batch(Builder builder) {
        this.name = builder.name;
        this.onSuccess = builder.onSuccess;
        this.onDiscard = builder.onDiscard;
        this.onComplete = builder.onComplete;
    }

    /**
     * A batch builder.
     *
     * @param name the batch's name, for people to read
     * @return a builder with no callbacks yet
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** {@return the batch's name} */
    public String name() { return name; }
    /** {@return the callback job run when every job of the sealed batch completed; null if none} */
    public JobRequest onSuccess() { return onSuccess; }
    /** {@return the callback job run once, when a job of the batch is first discarded; null if none} */
    public JobRequest onDiscard() { return onDiscard; }
    /** {@return the callback job run when every job of the sealed batch finished; null if none} */
    public JobRequest onComplete() { return onComplete; }

    /** Builds a batch, checking each callback as it is set. */
    public static final class Builder {
        private final String name;
        private JobRequest onSuccess;
        private JobRequest onDiscard;
        private JobRequest onComplete;

        private Builder(String name) {
            if (name == null || name.isBlank() || name.length() > 200) {
                throw new IllegalArgumentException("name: a batch's name must be 1 to 200 characters, was "
                        + (name == null ? "null" : "'" + name + "'"));
            }
            this.name = PgValues.text("name", name);
        }

        /**
         * The callback job run when every job of the sealed batch completed; it takes no run time, delay, idempotency key nor uniqueness.
         *
         * @param callback the callback job
         * @return this builder
         */
        public Builder onSuccess(JobRequest callback) {
            this.onSuccess = callback("onSuccess", callback);
            return this;
        }

        /**
         * The callback job run once, when a job of the batch is first discarded; it takes no run time, delay, idempotency key nor uniqueness.
         *
         * @param callback the callback job
         * @return this builder
         */
        public Builder onDiscard(JobRequest callback) {
            this.onDiscard = callback("onDiscard", callback);
            return this;
        }

        /**
         * The callback job run when every job of the sealed batch finished, however it ended; it takes no run time, delay, idempotency key nor uniqueness.
         *
         * @param callback the callback job
         * @return this builder
         */
        public Builder onComplete(JobRequest callback) {
            this.onComplete = callback("onComplete", callback);
            return this;
        }

        /** A callback runs when it fires: it takes no run time, delay, idempotency key nor uniqueness. */
        private static JobRequest callback(String field, JobRequest callback) {
            Objects.requireNonNull(callback, field);
            if (callback.runAt() != null || callback.delay() != null || callback.idempotencyKey() != null
                    || callback.uniqueness() != null) {
                throw new IllegalArgumentException(field + ": a callback runs when it fires, so it takes no run "
                        + "time, delay, idempotency key nor uniqueness");
            }
            return callback;
        }

        /**
         * The batch.
         *
         * @return the batch, ready for {@link BatchClient#create}
         */
        public Batch build() {
            return new Batch(this);
        }
    }
}
