package io.pgjobs.benchmark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The benchmark's command line. A bad option ends the run before anything starts, with the usage and one error
 * naming the option ({@link Invalid}).
 *
 * @param quick every workload small, about two minutes in all
 * @param durable the server commits durably ({@code fsync} and {@code synchronous_commit} on), unless
 *     {@code --non-durable}
 * @param jdbcUrl an administrative database on another server, or null for an embedded PostgreSQL
 * @param workloads the workloads to run besides the references (the ceiling and the commit rate), in
 *     {@link #WORKLOADS} order
 * @param steadySeconds the length of the steady state's confirmation runs
 * @param steadyRate the rate the steady state offers, without a search; 0: search for the highest stable one
 * @param steadyProducers the kinds of producers the steady state runs with, each in a run of its own
 *     ({@code client}, {@code sql})
 * @param steadyProbeSeconds the judged seconds of each probe of the steady state's search (after its lead-in)
 * @param steadyProbes how many probes the search makes (each halves the range of rates left)
 * @param drainJobs the size of the warm drains (and of the growth workload's drain)
 * @param drainNodes the node counts of the warm drains at concurrency 100
 * @param coldJvmOptions the JVM options of the cold drain's and the cold floor's worker JVMs (none: defaults)
 */
record BenchOptions(boolean quick, boolean durable, String jdbcUrl, List<String> workloads, int steadySeconds,
                    int steadyRate, List<String> steadyProducers, int steadyProbeSeconds, int steadyProbes,
                    int drainJobs, List<Integer> drainNodes, List<String> coldJvmOptions) {

    /** What {@code --only} may name, in the order they run. The references always run first. */
    static final List<String> WORKLOADS = List.of("ceiling", "drain", "flow_drain", "workflow", "cold_drain",
            "cold_floor", "enqueue", "enqueue_threads", "latency", "growth", "steady");

    static final String USAGE = """
            usage: Benchmark [options]
              --quick                   every workload small (about two minutes in all)
              --non-durable             fsync and synchronous_commit off (default: both on, as PostgreSQL ships)
              --jdbc-url URL            an administrative database on another server (default: an embedded one)
              --only a,b                workloads among %s
                                        (cold_floor runs with cold_drain)
              --drain-jobs N            jobs in each warm drain (default 100000; --quick: 20000)
              --drain-nodes 1,2,4       node JVMs of the warm drains at concurrency 100
              --cold-jvm-options "..."  JVM options of the cold drain's and cold floor's JVMs (default: none)
              --steady-seconds N        length of the steady state's confirmation runs (default 600; --quick: 15)
              --steady-rate N           jobs/s offered in the steady state, without a search (default: the
                                        highest rate the search finds stable)
              --steady-probe-seconds N  judged seconds of each probe of the search, after a lead-in of 120 s
                                        (default 20; --quick: 5, without the lead-in)
              --steady-probes N         probes in the search (default 5; --quick: 3)
              --steady-producer client|sql|both
                                        producers that call pgjobs, that insert generated rows, or a run with
                                        each (default both)
            """.formatted(String.join(",", WORKLOADS));

    /** A bad command line (or a server that cannot give what it asks for): the message names the option. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    static BenchOptions parse(String[] args) throws Invalid {
        boolean quick = false;
        boolean durable = true;
        String jdbcUrl = null;
        List<String> only = WORKLOADS;
        Integer steadySeconds = null;
        int steadyRate = 0;
        List<String> steadyProducers = List.of("client", "sql");
        Integer steadyProbeSeconds = null;
        Integer steadyProbes = null;
        Integer drainJobs = null;
        List<Integer> drainNodes = List.of(1, 2, 4);
        List<String> coldJvmOptions = List.of();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            switch (option) {
                case "--quick" -> quick = true;
                case "--non-durable" -> durable = false;
                case "--jdbc-url" -> {
                    jdbcUrl = value(args, ++i, option);
                    if (!jdbcUrl.startsWith("jdbc:postgresql://")) {
                        throw new Invalid("--jdbc-url must start with jdbc:postgresql://, not '" + jdbcUrl + "'");
                    }
                }
                case "--only" -> only = workloads(value(args, ++i, option));
                case "--steady-seconds" -> steadySeconds = positive(args, ++i, option);
                case "--steady-rate" -> steadyRate = positive(args, ++i, option);
                case "--steady-probe-seconds" -> steadyProbeSeconds = positive(args, ++i, option);
                case "--steady-probes" -> steadyProbes = positive(args, ++i, option);
                case "--steady-producer" -> steadyProducers = switch (value(args, ++i, option)) {
                    case "client" -> List.of("client");
                    case "sql" -> List.of("sql");
                    case "both" -> List.of("client", "sql");
                    default -> throw new Invalid("--steady-producer is client, sql or both, not '" + args[i] + "'");
                };
                case "--drain-jobs" -> drainJobs = positive(args, ++i, option);
                case "--drain-nodes" -> {
                    List<Integer> nodes = new ArrayList<>();
                    for (String count : value(args, ++i, option).split(",")) {
                        nodes.add(positive(count, option));
                    }
                    drainNodes = List.copyOf(nodes);
                }
                case "--cold-jvm-options" -> coldJvmOptions = jvmOptions(args, ++i, option);
                default -> throw new Invalid("unknown option '" + option + "'");
            }
        }
        return new BenchOptions(quick, durable, jdbcUrl, only,
                steadySeconds != null ? steadySeconds : quick ? 15 : 600, steadyRate, steadyProducers,
                steadyProbeSeconds != null ? steadyProbeSeconds : quick ? 5 : 20,
                steadyProbes != null ? steadyProbes : quick ? 3 : 5,
                drainJobs != null ? drainJobs : quick ? 20_000 : 100_000, drainNodes, coldJvmOptions);
    }

    private static List<String> workloads(String list) throws Invalid {
        List<String> named = Arrays.asList(list.split(","));
        for (String workload : named) {
            if (!WORKLOADS.contains(workload)) {
                throw new Invalid("--only: unknown workload '" + workload + "' (known: "
                        + String.join(",", WORKLOADS) + ")");
            }
        }
        // the cold floor is read against the cold drain, run in alternation with it
        boolean coldDrain = named.contains("cold_drain") || named.contains("cold_floor");
        return WORKLOADS.stream().filter(w -> named.contains(w) || (w.equals("cold_drain") && coldDrain)).toList();
    }

    /** JVM options separated by blanks, each starting with '-' (a word that does not would be run as the class). */
    private static List<String> jvmOptions(String[] args, int i, String option) throws Invalid {
        if (i >= args.length) {
            throw new Invalid(option + " needs a value");
        }
        List<String> options = List.of(args[i].strip().split("\\s+"));
        for (String jvmOption : options) {
            if (!jvmOption.startsWith("-")) {
                throw new Invalid(option + ": '" + jvmOption + "' is not a JVM option (each starts with '-')");
            }
        }
        return options;
    }

    private static String value(String[] args, int i, String option) throws Invalid {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new Invalid(option + " needs a value");
        }
        return args[i];
    }

    private static int positive(String[] args, int i, String option) throws Invalid {
        return positive(value(args, i, option), option);
    }

    private static int positive(String text, String option) throws Invalid {
        String problem = option + " takes a positive whole number, not '" + text + "'";
        int value;
        try {
            value = Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new Invalid(problem);
        }
        if (value <= 0) {
            throw new Invalid(problem);
        }
        return value;
    }
}
