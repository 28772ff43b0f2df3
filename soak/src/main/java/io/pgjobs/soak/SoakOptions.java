package io.pgjobs.soak;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a soak run does, from its command line: {@code --duration 60m --nodes 3 --rate 40 --seed 1
 * --lease 5s --min-fault-gap 20s --max-fault-gap 60s --concurrency 16 [--faults KIND,KIND] [--jdbc-url URL |
 * --data-dir DIR] [--previous COMMIT]}. {@code --faults} names the kinds the injector injects (every kind by
 * default), so that one kind can be studied alone. {@code --data-dir} keeps the embedded server's data there after
 * the run, for {@link Recheck}.
 * Without {@code --jdbc-url} (an administrative database's URL with credentials) the soak runs an embedded
 * PostgreSQL of its own, which it also restarts as a fault. {@code --previous} is the upgrade's only: the commit
 * of this repository whose nodes are the old ones ({@link PreviousRelease}).
 */
record SoakOptions(Duration duration, int nodes, int jobsPerSecond, long seed, long leaseMs,
                   Duration minFaultGap, Duration maxFaultGap, int concurrency, Set<FaultInjector.Kind> faults,
                   String jdbcUrl, Path dataDir, String previousRelease) {

    SoakOptions {
        require(duration.toSeconds() >= 10, "--duration must be at least 10s, was " + duration);
        require(nodes >= 1 && nodes <= 20, "--nodes must be 1..20, was " + nodes);
        require(jobsPerSecond >= 1 && jobsPerSecond <= 10_000, "--rate must be 1..10000 jobs a second, was " + jobsPerSecond);
        require(leaseMs >= 1000, "--lease must be at least 1s, was " + leaseMs + " ms");
        require(!minFaultGap.isNegative() && minFaultGap.compareTo(maxFaultGap) <= 0,
                "--min-fault-gap must be between 0 and --max-fault-gap, was " + minFaultGap + " and " + maxFaultGap);
        require(concurrency >= 1 && concurrency <= 20, "--concurrency must be 1..20 (the node's pool has 24), was " + concurrency);
        require(!faults.isEmpty(), "--faults must name at least one kind");
        faults = Set.copyOf(faults);
        require(jdbcUrl == null || dataDir == null,
                "--data-dir keeps the embedded server's data: not with --jdbc-url, a server of your own");
        require(previousRelease.matches("[0-9a-f]{7,40}"),
                "--previous must be a commit's hash (7 to 40 hex digits), was " + previousRelease);
    }

    private static final List<String> NAMES = List.of("--duration", "--nodes", "--rate", "--seed",
            "--lease", "--min-fault-gap", "--max-fault-gap", "--concurrency", "--faults", "--jdbc-url", "--data-dir",
            "--previous");

    static SoakOptions parse(String... args) {
        Map<String, String> given = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!NAMES.contains(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; the options are " + String.join(" ", NAMES));
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            given.put(args[i], args[i + 1]);
        }
        return new SoakOptions(
                duration("--duration", given.getOrDefault("--duration", "60m")),
                integer("--nodes", given.getOrDefault("--nodes", "3")),
                integer("--rate", given.getOrDefault("--rate", "40")),
                integer("--seed", given.getOrDefault("--seed", "1")),
                duration("--lease", given.getOrDefault("--lease", "5s")).toMillis(),
                duration("--min-fault-gap", given.getOrDefault("--min-fault-gap", "20s")),
                duration("--max-fault-gap", given.getOrDefault("--max-fault-gap", "60s")),
                integer("--concurrency", given.getOrDefault("--concurrency", "16")),
                faults(given.get("--faults")),
                given.get("--jdbc-url"),
                given.containsKey("--data-dir") ? Path.of(given.get("--data-dir")) : null,
                given.getOrDefault("--previous", PreviousRelease.COMMIT));
    }

    /** {@code 90s}, {@code 5m}, {@code 1h}. */
    private static Duration duration(String option, String value) {
        if (!value.matches("\\d+[smh]")) {
            throw new IllegalArgumentException(option + " takes a whole number and s, m or h (e.g. 90s), was " + value);
        }
        long amount = Long.parseLong(value.substring(0, value.length() - 1));
        return switch (value.charAt(value.length() - 1)) {
            case 's' -> Duration.ofSeconds(amount);
            case 'm' -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }

    /** {@code KILL,POSTGRES_RESTART}: the kinds named, or every kind when not given. */
    private static Set<FaultInjector.Kind> faults(String value) {
        if (value == null) {
            return EnumSet.allOf(FaultInjector.Kind.class);
        }
        Set<FaultInjector.Kind> kinds = EnumSet.noneOf(FaultInjector.Kind.class);
        for (String name : value.split(",", -1)) {
            try {
                kinds.add(FaultInjector.Kind.valueOf(name.trim()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--faults takes kinds separated by commas, one of "
                        + EnumSet.allOf(FaultInjector.Kind.class) + ", was " + value, e);
            }
        }
        return kinds;
    }

    private static int integer(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a whole number, was " + value, e);
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
