package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The standalone jar's command line: a mistake gets the one error and the usage, never a stack trace. */
class DashboardServerOptionsTest {
    private record Run(int exit, String out, String err) {}

    private static Run run(Map<String, String> env, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = DashboardServer.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aMistypedOptionPrintsTheErrorAndTheUsage() throws Exception {
        Run run = run(Map.of(), "--jdbc-url", "jdbc:postgresql://db/app", "--prot", "8081");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("error: unknown option '--prot'\nusage: java -jar")
                .contains("--trust-proxy-headers").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void eachBadValueIsNamed() throws Exception {
        assertThat(run(Map.of(), "--users", "a:b:operator").err()).startsWith("error: --jdbc-url is required\n");
        assertThat(run(Map.of("PGJOBS_JDBC_URL", "jdbc:postgresql://db/app"), "--users", "a:b:admin").err())
                .startsWith("error: users: role of 'a' must be viewer or operator\n");
        assertThat(run(Map.of(), "--jdbc-url", "x", "--users", "a:b:viewer", "--port", "80a").err())
                .startsWith("error: --port: expected a number from 0 to 65535, got '80a'\n");
        assertThat(run(Map.of(), "--jdbc-url").err()).startsWith("error: --jdbc-url: needs a value\n");
        assertThat(run(Map.of(), "--jdbc-url", "x").err()).startsWith("error: --users is required: the standalone");
    }

    @Test
    void helpPrintsTheUsage() throws Exception {
        Run run = run(Map.of(), "--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEqualTo(DashboardServer.USAGE);
    }
}
