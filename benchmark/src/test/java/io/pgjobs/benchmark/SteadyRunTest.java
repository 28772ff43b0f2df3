package io.pgjobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SteadyRunTest {
    private static final double RATE = 20_000;
    private static final int SECONDS = 20;
    private static final long ALL_PRODUCED = (long) RATE * SECONDS;

    private static SteadyRun run(long produced, long unfinishedAtStart, long unfinishedAtEnd, boolean stoppedBehind) {
        return new SteadyRun(RATE, SECONDS, produced, RATE, List.of(new long[] {1, 0}, new long[] {2, 0}),
                unfinishedAtStart, unfinishedAtEnd, stoppedBehind, "");
    }

    @Test
    void aRunThatEndsWithinASecondOfTheRateSustainsIt() {
        assertThat(run(ALL_PRODUCED, 0, 20_000, false).sustained()).isTrue();
        assertThat(run(ALL_PRODUCED, 0, 20_001, false).sustained()).isFalse();
    }

    @Test
    void jobsLeftFromTheLeadInCountOnlyIfTheyGrow() {
        // a lead-in that fell behind and was being worked off: the judged seconds held the rate
        assertThat(run(ALL_PRODUCED, 300_000, 250_000, false).sustained()).isTrue();
        // the same backlog growing by more than a second's worth: they did not
        assertThat(run(ALL_PRODUCED, 300_000, 320_001, false).sustained()).isFalse();
    }

    @Test
    void producersThatFellBehindOrARunStoppedBehindSustainNothing() {
        assertThat(run((long) (ALL_PRODUCED * 0.94), 0, 0, false).sustained()).isFalse();
        assertThat(run(ALL_PRODUCED, 0, 0, true).sustained()).isFalse();
    }

    @Test
    void theBacklogsTrendIsReadOverTheSecondHalf() {
        List<long[]> samples = List.of(new long[] {1, 0}, new long[] {2, 900}, new long[] {3, 1_000},
                new long[] {4, 1_100});
        SteadyRun run = new SteadyRun(RATE, 4, 80_000, RATE, samples, 0, 1_100, false, "");
        assertThat(run.trend()).isEqualTo(100.0);
        assertThat(run.maxBacklog()).isEqualTo(1_100);
        assertThat(run.lastBacklog()).isEqualTo(1_100);
    }
}
