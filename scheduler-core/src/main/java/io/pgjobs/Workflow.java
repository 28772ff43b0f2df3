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

        /** The name stored in the database. */
        public String dbName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One step: its name, its job, and the names of the steps it depends on. */
    public record Step(String name, JobRequest request, List<String> dependsOn) {}

    private final String name;
    private final OnFailure onFailure;
    private final List<Step> steps;

    private Workflow(String name, OnFailure onFailure, List<Step> steps) {
        this.name = name;
        this.onFailure = onFailure;
        this.steps = List.copyOf(steps);
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() { return name; }
    public OnFailure onFailure() { return onFailure; }
    /** The steps in the order they were added. */
    public List<Step> steps() { return steps; }

    /** Builds a workflow, checking each step as it is added. */
    public static final class Builder {
        private final String name;
        private OnFailure onFailure = OnFailure.CANCEL_DEPENDANTS;
        private final Map<String, Step> steps = new LinkedHashMap<>();

        private Builder(String name) {
            if (name == null || name.isBlank() || name.length() > 200) {
                throw new IllegalArgumentException("name: a workflow's name must be 1 to 200 characters, was "
                        + (name == null ? "null" : "'" + name + "'"));
            }
            this.name = PgValues.text("name", name);
        }

        public Builder onFailure(OnFailure onFailure) {
            this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
            return this;
        }

        /**
         * Adds step {@code step} running {@code request} once the steps {@code dependsOn} (added before) have
         * completed. A step with dependencies runs when they release it, so it takes no run time, delay,
         * idempotency key nor uniqueness; a step without any runs as {@code request} says.
         */
        public Builder step(String step, JobRequest request, String... dependsOn) {
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
            steps.put(step, new Step(step, request, List.copyOf(parents)));
            return this;
        }

        public Workflow build() {
            if (steps.isEmpty()) {
                throw new IllegalArgumentException("steps: workflow '" + name + "' has no steps");
            }
            return new Workflow(name, onFailure, new ArrayList<>(steps.values()));
        }
    }
}
