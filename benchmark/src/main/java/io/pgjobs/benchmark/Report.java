package io.pgjobs.benchmark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the workloads measured: a table for people and one {@code RESULT workload=... key=value ...} line per
 * figure for scripts, plus the reference figures later workloads are read against (the plain-SQL ceiling, and
 * the one-node drain that sizes the steady state).
 */
final class Report {
    private final Map<String, String> table = new LinkedHashMap<>();
    private final List<String> results = new ArrayList<>();
    private double ceiling = Double.NaN;
    private double oneNodeDrain = Double.NaN;

    void ceiling(double jobsPerS) {
        ceiling = jobsPerS;
    }

    double ceiling() {
        return ceiling;
    }

    void oneNodeDrain(double jobsPerS) {
        oneNodeDrain = jobsPerS;
    }

    /** The warm one-node drain at concurrency 100 of this run, NaN if it did not run. */
    double oneNodeDrain() {
        return oneNodeDrain;
    }

    void row(String what, String figures) {
        table.put(what, figures);
    }

    /** A line {@code RESULT workload=<workload> <keys formatted with args>}. */
    void result(String workload, String keys, Object... args) {
        results.add("RESULT workload=" + workload + " " + String.format(Locale.ROOT, keys, args));
    }

    /** {@code rate} as a fraction of the ceiling, for the table. */
    String ofCeiling(double rate) {
        return String.format(Locale.ROOT, "  (%.2f of the ceiling)", rate / ceiling);
    }

    static String jobsPerS(double rate) {
        return String.format(Locale.ROOT, "%,.0f jobs/s", rate);
    }

    void print() {
        System.out.println();
        int width = table.keySet().stream().mapToInt(String::length).max().orElse(10);
        table.forEach((what, figures) -> System.out.printf(Locale.ROOT, "%-" + width + "s  %s%n", what, figures));
        System.out.println();
        results.forEach(System.out::println);
    }
}
