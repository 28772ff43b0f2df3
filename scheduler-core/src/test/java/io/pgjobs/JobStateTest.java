package io.pgjobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JobStateTest {
    @Test
    void finishedStatesOnlyLeaveThroughARetry() {
        for (JobState finished : JobState.FINISHED) {
            for (JobState next : JobState.values()) {
                assertThat(finished.canMoveTo(next)).as(finished + " -> " + next).isEqualTo(next == JobState.AVAILABLE);
            }
        }
    }

    @Test
    void onlyRunnableStatesMoveToRunning() {
        for (JobState state : JobState.values()) {
            assertThat(state.canMoveTo(JobState.RUNNING)).as(state + " -> running")
                    .isEqualTo(JobState.RUNNABLE.contains(state));
        }
    }

    @Test
    void databaseNamesRoundTrip() {
        for (JobState state : JobState.values()) {
            assertThat(JobState.fromDb(state.dbName())).isEqualTo(state);
        }
    }
}
