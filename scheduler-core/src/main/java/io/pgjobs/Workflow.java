package io.pgjobs;

import io.pgjobs.internal.values.PgValues;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Jobs that depend on each other, enqueued together by {@link WorkflowClient#enqueue}: each step runs once the
 * steps it depends on have completed (docs/workflows.md). A step may only depend on steps added before it, so a
 * workflow can never hold a cycle.
 *
 * <pre>{@code
 * Workflow order = Workflow.builder("order-" + orderId)
 *         .step("reserve", JobRequest.of(new Reserve(orderId)))
 *         .step("charge", JobRequest.of(new Charge(orderId)), "reserve")
 *         .step("pack", JobRequest.of(new Pack(orderId)), "reserve")
 *         .step("ship", JobRequest.of(new Ship(orderId)), "charge", "pack")
 *         .build();
 * long id = client.workflows().enqueue(connection, order).workflowId();
 * }</pre>
 */
public final class Workflow {
    /** The most steps one workflow may have. */
    public static final int MAX_STEPS = 100_000;

    /** What a step that is discarded or cancelled does to the steps that depend on it. */
    public enum OnFailure {
        /** Cancels them, and everything downstream of them, at once (the default). */
        CANCEL_DEPENDANTS,
        /** Lets them run as if it had completed; they see its state in {@link JobContext#parents()}. */
        RUN_DEPENDANTS;

        /** {@return the name stored in the database} */
        public String dbName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One step: its name, its job, the names of the steps it depends on, and in a saga the job that undoes it
     * (null when it has none).
     *
     * @param name the step's name, unique in its workflow
     * @param request the step's job
     * @param dependsOn the names of the steps it waits for
     * @param compensation in a saga, the job that undoes it; null when it has none
     */
    public record Step(String name, JobRequest request, List<String> dependsOn, JobRequest compensation) {}

    private final String name;
    private final OnFailure onFailure;
    private final boolean saga;
    private final List<Step> steps;

    private Workflow(String name, OnFailure onFailure, boolean saga, List<Step> steps) {
        this.name = name;
        this.onFailure = onFailure;
        this.saga = saga;
        this.steps = List.copyOf(steps);
    }

    /**
     * A workflow builder.
     *
     * @param name the workflow's name, 1 to 200 characters (not unique: it is for people to read)
     * @return a builder with no steps yet
     */
    public static Builder builder(String name) {
        return new Builder(name, false);
    }

    /**
     * A saga: a workflow whose steps may each have a compensation; when a step fails for good, the compensations
     * of the steps that completed run one at a time, the latest declared step first (docs/workflows.md#sagas).
     *
     * <pre>{@code
     * Workflow trip = Workflow.saga("trip-" + tripId)
     *         .compensatedStep("flight", JobRequest.of(new BookFlight(tripId)), JobRequest.of(new CancelFlight(tripId)))
     *         .compensatedStep("hotel", JobRequest.of(new BookHotel(tripId)), JobRequest.of(new CancelHotel(tripId)),
     *                 "flight")
     *         .step("notify", JobRequest.of(new Notify(tripId)), "hotel")
     *         .build();
     * }</pre>
     *
     * @param name the saga's name, 1 to 200 characters
     * @return a builder with no steps yet
     */
    public static Builder saga(String name) {
        return new Builder(name, true);
    }

    /** {@return the workflow's name} */
    public String name() { return name; }
    /** {@return what a step that is discarded or cancelled does to the steps that depend on it} */
    public OnFailure onFailure() { return onFailure; }
    /** {@return whether it was built by {@link #saga(String)}} */
    public boolean saga() { return saga; }
    /** {@return the steps in the order they were added} */
    public List<Step> steps() { return steps; }

    /** Builds a workflow, checking each step as it is added. */
    public static final class Builder {
        private final String name;
        private final boolean saga;
        private OnFailure onFailure = OnFailure.CANCEL_DEPENDANTS;
        private final Map<String, Step> steps = new LinkedHashMap<>();

        private Builder(String name, boolean saga) {
            this.saga = saga;
            if (name == null || name.isBlank() || name.length() > 200) {
                throw new IllegalArgumentException("name: a workflow's name must be 1 to 200 characters, was "
                        + (name == null ? "null" : "'" + name + "'"));
            }
            this.name = PgValues.text("name", name);
        }

        /**
         * What a step that is discarded or cancelled does to the steps that depend on it; a saga takes only
         * {@link OnFailure#CANCEL_DEPENDANTS}.
         *
         * @param onFailure the policy
         * @return this builder
         */
        public Builder onFailure(OnFailure onFailure) {
            Objects.requireNonNull(onFailure, "onFailure");
            if (saga && onFailure != OnFailure.CANCEL_DEPENDANTS) {
                throw new IllegalArgumentException("onFailure: saga '" + name + "' compensates when a step fails, "
                        + "so its failed steps cancel their dependants; it takes only CANCEL_DEPENDANTS");
            }
            this.onFailure = onFailure;
            return this;
        }

        /**
         * Adds step {@code step} running {@code request} once the steps {@code dependsOn} (added before) have
         * completed. A step with dependencies runs when they release it, so it takes no run time, delay,
         * idempotency key nor uniqueness; a step without any runs as {@code request} says.
         *
         * @param step the step's name, unique in the workflow
         * @param request the step's job
         * @param dependsOn the names of the steps it waits for
         * @return this builder
         */
        public Builder step(String step, JobRequest request, String... dependsOn) {
            return add(step, request, null, dependsOn);
        }

        /**
         * Adds saga step {@code step} as {@link #step} does, with the job {@code compensation} that undoes it: when
         * a step of the saga fails for good after this one completed, {@code compensation} is enqueued (its
         * handler reads this step's args and result through {@link JobContext#compensatedStep()}). It is
         * inserted when due, so it takes no run time, delay, idempotency key nor uniqueness.
         *
         * @param step the step's name, unique in the saga
         * @param request the step's job
         * @param compensation the job that undoes it
         * @param dependsOn the names of the steps it waits for
         * @return this builder
         */
        public Builder compensatedStep(String step, JobRequest request, JobRequest compensation, String... dependsOn) {
            if (!saga) {
                throw new IllegalArgumentException("compensation: workflow '" + name + "' is not a saga; build it "
                        + "with Workflow.saga to give its steps compensations");
            }
            Objects.requireNonNull(compensation, "compensation");
            if (compensation.idempotencyKey() != null || compensation.uniqueness() != null
                    || compensation.runAt() != null || compensation.delay() != null) {
                throw new IllegalArgumentException("compensation: the compensation of step '" + step + "' has an "
                        + "idempotency key, uniqueness, run time or delay; it is enqueued when due and takes none");
            }
            return add(step, request, compensation, dependsOn);
        }

        private Builder add(String step, JobRequest request, JobRequest compensation, String... dependsOn) {
            if (step == null || step.isBlank() || step.length() > 200) {
                throw new IllegalArgumentException("step: a step's name must be 1 to 200 characters, was "
                        + (step == null ? "null" : "'" + step + "'"));
            }
            if (steps.containsKey(step)) {
                throw new IllegalArgumentException("step: workflow '" + name + "' already has a step '" + step + "'");
            }
            if (steps.size() == MAX_STEPS) {
                throw new IllegalArgumentException("step: workflow '" + name + "' has " + MAX_STEPS
                        + " steps, the most a workflow may have");
            }
            PgValues.text("step", step);
            Objects.requireNonNull(request, "request");
            List<String> parents = new ArrayList<>(Arrays.asList(Objects.requireNonNull(dependsOn, "dependsOn")));
            for (String parent : parents) {
                if (!steps.containsKey(parent)) {
                    throw new IllegalArgumentException("dependsOn: step '" + step + "' depends on '" + parent
                            + "', which is not a step added before it");
                }
            }
            if (parents.stream().distinct().count() != parents.size()) {
                throw new IllegalArgumentException("dependsOn: step '" + step + "' names a dependency twice: "
                        + parents);
            }
            if (request.idempotencyKey() != null || request.uniqueness() != null) {
                throw new IllegalArgumentException("request: step '" + step + "' has an idempotency key or "
                        + "uniqueness; a workflow's steps take neither (the workflow is enqueued as a whole)");
            }
            if (!parents.isEmpty() && (request.runAt() != null || request.delay() != null)) {
                throw new IllegalArgumentException("request: step '" + step + "' has a run time or delay, but "
                        + "it runs when the steps it depends on release it");
            }
            steps.put(step, new Step(step, request, List.copyOf(parents), compensation));
            return this;
        }

        /**
         * The workflow.
         *
         * @return the workflow, ready for {@link WorkflowClient#enqueue}
         * @throws IllegalArgumentException if it has no steps
         */
        public Workflow build() {
            if (steps.isEmpty()) {
                throw new IllegalArgumentException("steps: workflow '" + name + "' has no steps");
            }
            return new Workflow(name, onFailure, saga, new ArrayList<>(steps.values()));
        }
    }
}
