package io.pgjobs.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The upgrade's previous release is any commit of this repository: the schema its nodes run on is read from that
 * commit's migrations, and a commit that is not a hash is refused naming the option. Reading a commit needs the
 * history (not in a shallow clone), as the upgrade does: tagged {@code upgrade} like it.
 */
class PreviousReleaseTest {
    @Test
    @Tag("upgrade")
    void theSchemaOfACommitIsItsLastMigration() throws Exception {
        assertThat(PreviousRelease.schemaVersion(Upgrade.repository(), PreviousRelease.COMMIT))
                .as("the release of 2026-12-06's evening").isEqualTo("44");
        assertThat(PreviousRelease.schemaVersion(Upgrade.repository(), "ec04083")).as("stop 29's release")
                .isEqualTo("42");
        assertThat(PreviousRelease.schemaVersion(Upgrade.repository(), "ff9dc2d")).as("stop 28's release")
                .isEqualTo("39");
        assertThat(PreviousRelease.schemaVersion(Upgrade.repository(), "cf7df95")).as("stop 27's release")
                .isEqualTo("37");
        assertThat(PreviousRelease.schemaVersion(Upgrade.repository(), "54d732e")).as("stop 26's release")
                .isEqualTo("34");
    }

    @Test
    void theUpgradeTakesAnyCommitAndRefusesWhatIsNotOne() {
        assertThat(SoakOptions.parse().previousRelease()).isEqualTo(PreviousRelease.COMMIT);
        assertThat(SoakOptions.parse("--previous", "375030c").previousRelease()).isEqualTo("375030c");
        assertThatThrownBy(() -> SoakOptions.parse("--previous", "main"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--previous must be a commit's hash (7 to 40 hex digits), was main");
    }
}
