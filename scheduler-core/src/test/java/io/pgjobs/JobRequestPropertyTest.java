package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.testing.AnyInput;
import io.pgjobs.testing.Tries;
import org.junit.jupiter.api.Test;

/** Whatever a user passes to {@link JobRequest}'s setters is taken as given or rejected naming the field. */
class JobRequestPropertyTest {

    @Test
    void everyValueIsTakenAsGivenOrRejectedNamingItsField() {
        Tries.check(400, AnyInput::request, given -> given.build().ifPresent(request -> {
            assertThat(request.kind()).isEqualTo(given.kind());
            assertThat(request.args()).isSameAs(given.args());
            assertThat(request.queue()).isEqualTo(given.queue());
            assertThat(request.priority()).isEqualTo(given.priority());
            assertThat(request.maxAttempts()).isEqualTo(given.maxAttempts());
            assertThat(request.tags()).isEqualTo(given.tags());
            assertThat(request.metadata()).isEqualTo(given.metadata());
            // the later of the two setters wins
            assertThat(request.delay()).isEqualTo(given.delay());
            assertThat(request.runAt()).isEqualTo(given.delay() == null ? given.runAt() : null);
        }));
    }
}
