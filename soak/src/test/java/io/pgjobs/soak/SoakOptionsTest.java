package io.pgjobs.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * {@code --faults} chooses the kinds the injector injects; a kind it does not know is refused, naming the option.
 * {@code --data-dir} is the embedded server's only.
 */
class SoakOptionsTest {
    @Test
    void everyKindUnlessFaultsNamesSome() {
        assertThat(SoakOptions.parse().faults()).isEqualTo(EnumSet.allOf(FaultInjector.Kind.class));
        assertThat(SoakOptions.parse("--faults", "POSTGRES_RESTART,KILL").faults())
                .containsExactlyInAnyOrder(FaultInjector.Kind.POSTGRES_RESTART, FaultInjector.Kind.KILL);
    }

    @Test
    void aKindItDoesNotKnowIsRefused() {
        assertThatThrownBy(() -> SoakOptions.parse("--faults", "KILL,RESTART"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--faults takes kinds separated by commas, one of [KILL, ")
                .hasMessageEndingWith(", was KILL,RESTART");
        assertThatThrownBy(() -> SoakOptions.parse("--faults", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith(", was ");
    }

    @Test
    void theDataIsKeptOnlyOnTheEmbeddedServer() {
        assertThat(SoakOptions.parse("--data-dir", "/tmp/soak-hour").dataDir()).isEqualTo(java.nio.file.Path.of("/tmp/soak-hour"));
        assertThat(SoakOptions.parse().dataDir()).isNull();
        assertThatThrownBy(() -> SoakOptions.parse("--data-dir", "/tmp/soak-hour", "--jdbc-url", "jdbc:postgresql://h/p"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--data-dir keeps the embedded server's data: not with --jdbc-url, a server of your own");
    }
}
