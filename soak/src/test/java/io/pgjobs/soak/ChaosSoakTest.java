package io.pgjobs.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The soak's short version, run by every build: two nodes on an embedded server the soak owns, every fault kind
 * (including the server's restart) at least once in 100 s of load, then the invariant checker.
 */
class ChaosSoakTest {
    @Test
    void noInvariantBrokenAndEveryFaultRecoveredFrom() throws Exception {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Soak.Result result;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            result = Soak.run(SoakOptions.parse("--duration", "100s", "--nodes", "2", "--rate", "30",
                    "--min-fault-gap", "3s", "--max-fault-gap", "6s", "--seed", "23"), out);
        }
        String report = output.toString(StandardCharsets.UTF_8);
        System.out.println(report);

        assertThat(result.violations()).as(report).isEmpty();
        assertThat(result.faults().keySet()).as("fault kinds injected")
                .containsExactlyInAnyOrder(java.util.Arrays.stream(FaultInjector.Kind.values()).map(Enum::name).toArray(String[]::new));
        result.faults().values().forEach(fault ->
                assertThat(fault.recovered()).as(fault.kind() + " faults recovered from").isEqualTo(fault.injected()));
        assertThat(result.enqueued()).as("jobs enqueued").isGreaterThan(1000);
    }
}
