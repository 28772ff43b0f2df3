package io.pgjobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {
    @Test
    void withoutOptionsEveryWorkloadRunsDurablyAtFullSize() throws Exception {
        BenchOptions options = BenchOptions.parse(new String[0]);

        assertThat(options.durable()).isTrue();
        assertThat(options.quick()).isFalse();
        assertThat(options.jdbcUrl()).isNull();
        assertThat(options.workloads()).isEqualTo(BenchOptions.WORKLOADS);
        assertThat(options.drainJobs()).isEqualTo(100_000);
        assertThat(options.steadySeconds()).isEqualTo(600);
        assertThat(options.steadyRate()).isZero();
        assertThat(options.steadyProducers()).containsExactly("client", "sql");
        assertThat(options.steadyProbeSeconds()).isEqualTo(20);
        assertThat(options.steadyProbes()).isEqualTo(5);
        assertThat(options.drainNodes()).containsExactly(1, 2, 4);
        assertThat(options.coldJvmOptions()).isEmpty();
    }

    @Test
    void optionsAreReadAndTheWorkloadsRunInTheirOwnOrder() throws Exception {
        BenchOptions options = BenchOptions.parse(new String[] {"--quick", "--non-durable", "--only", "steady,cold_drain",
                "--jdbc-url", "jdbc:postgresql://db/postgres", "--drain-nodes", "1,2", "--steady-producer", "sql",
                "--steady-rate", "20000"});

        assertThat(options.quick()).isTrue();
        assertThat(options.durable()).isFalse();
        assertThat(options.workloads()).containsExactly("cold_drain", "steady");
        assertThat(options.jdbcUrl()).isEqualTo("jdbc:postgresql://db/postgres");
        assertThat(options.drainNodes()).containsExactly(1, 2);
        assertThat(options.steadyProducers()).containsExactly("sql");
        assertThat(options.steadyRate()).isEqualTo(20_000);
        assertThat(options.drainJobs()).isEqualTo(20_000);
        assertThat(options.steadySeconds()).isEqualTo(15);
        assertThat(options.steadyProbeSeconds()).isEqualTo(5);
        assertThat(options.steadyProbes()).isEqualTo(3);
    }

    @Test
    void theColdFloorRunsWithTheColdDrainItIsReadAgainst() throws Exception {
        assertThat(BenchOptions.parse(new String[] {"--only", "cold_floor"}).workloads())
                .containsExactly("cold_drain", "cold_floor");
        assertThat(BenchOptions.parse(new String[] {"--only", "cold_drain"}).workloads()).containsExactly("cold_drain");
    }

    @Test
    void theColdWorkersJvmOptionsAreSplitAtBlanks() throws Exception {
        BenchOptions options = BenchOptions.parse(new String[] {"--cold-jvm-options",
                " -XX:TieredStopAtLevel=1  -XX:AOTCache=/tmp/node.aot --enable-preview"});

        assertThat(options.coldJvmOptions())
                .containsExactly("-XX:TieredStopAtLevel=1", "-XX:AOTCache=/tmp/node.aot", "--enable-preview");
    }

    @Test
    void theSteadyStatesSearchIsSetByItsOwnOptions() throws Exception {
        BenchOptions options = BenchOptions.parse(new String[] {"--steady-probe-seconds", "7", "--steady-probes", "4",
                "--steady-producer", "both", "--steady-seconds", "30"});

        assertThat(options.steadyProbeSeconds()).isEqualTo(7);
        assertThat(options.steadyProbes()).isEqualTo(4);
        assertThat(options.steadyProducers()).containsExactly("client", "sql");
        assertThat(options.steadySeconds()).isEqualTo(30);
    }

    @Test
    void aBadOptionIsNamedInTheError() {
        assertInvalid(List.of("--bogus"), "unknown option '--bogus'");
        assertInvalid(List.of("--steady-seconds"), "--steady-seconds needs a value");
        assertInvalid(List.of("--steady-seconds", "--quick"), "--steady-seconds needs a value");
        assertInvalid(List.of("--steady-seconds", "abc"), "--steady-seconds takes a positive whole number, not 'abc'");
        assertInvalid(List.of("--drain-jobs", "0"), "--drain-jobs takes a positive whole number, not '0'");
        assertInvalid(List.of("--drain-nodes", "1,-2"), "--drain-nodes takes a positive whole number, not '-2'");
        assertInvalid(List.of("--only", "drain,warp"), "--only: unknown workload 'warp'");
        assertInvalid(List.of("--steady-producer", "kafka"), "--steady-producer is client, sql or both, not 'kafka'");
        assertInvalid(List.of("--steady-probes", "0"), "--steady-probes takes a positive whole number, not '0'");
        assertInvalid(List.of("--steady-probe-seconds", "x"), "--steady-probe-seconds takes a positive whole number, not 'x'");
        assertInvalid(List.of("--jdbc-url", "postgres://db"), "--jdbc-url must start with jdbc:postgresql://");
        assertInvalid(List.of("--cold-jvm-options"), "--cold-jvm-options needs a value");
        assertInvalid(List.of("--cold-jvm-options", "-Xmx1g Xmx2g"),
                "--cold-jvm-options: 'Xmx2g' is not a JVM option (each starts with '-')");
    }

    private static void assertInvalid(List<String> args, String message) {
        assertThatThrownBy(() -> BenchOptions.parse(args.toArray(String[]::new)))
                .isInstanceOf(BenchOptions.Invalid.class)
                .hasMessageContaining(message);
    }
}
