package io.pgjobs.internal.runtime;

import static io.pgjobs.internal.runtime.QueueFetcher.MAX_AHEAD_PAUSE_NANOS;
import static io.pgjobs.internal.runtime.QueueFetcher.MIN_AHEAD_PAUSE_NANOS;
import static io.pgjobs.internal.runtime.QueueFetcher.aheadPause;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How long a queue claims only its free slots after it put back jobs it had claimed ahead (QueueFetcher): a
 * second after a put-back alone (a fresh JVM's first jobs are slow once), doubling while put-backs follow one
 * another, up to ten seconds (a queue whose jobs are slow), and a second again once the queue went ten seconds
 * without one.
 */
class AheadPauseTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void theFirstPutBackPausesClaimingAheadForASecond() {
        assertThat(MIN_AHEAD_PAUSE_NANOS).isEqualTo(SECOND);
        assertThat(aheadPause(0, 0)).isEqualTo(SECOND);
        assertThat(aheadPause(0, -5 * SECOND)).as("none before, whatever the clock says").isEqualTo(SECOND);
    }

    @Test
    void putBacksThatFollowOneAnotherDoubleThePauseUpToTenSeconds() {
        long pause = aheadPause(0, 0);
        long[] pauses = new long[6];
        for (int i = 0; i < pauses.length; i++) {
            pause = aheadPause(pause, 2 * SECOND); // two seconds after the last pause ended
            pauses[i] = pause / SECOND;
        }
        assertThat(pauses).containsExactly(2, 4, 8, 10, 10, 10);
        assertThat(MAX_AHEAD_PAUSE_NANOS).isEqualTo(10 * SECOND);
        assertThat(aheadPause(4 * SECOND, -SECOND)).as("a put-back during the pause").isEqualTo(8 * SECOND);
    }

    @Test
    void tenSecondsWithoutAPutBackStartOverAtASecond() {
        assertThat(aheadPause(10 * SECOND, 10 * SECOND - 1)).isEqualTo(10 * SECOND);
        assertThat(aheadPause(10 * SECOND, 10 * SECOND)).isEqualTo(SECOND);
        assertThat(aheadPause(8 * SECOND, 60 * SECOND)).isEqualTo(SECOND);
    }
}
