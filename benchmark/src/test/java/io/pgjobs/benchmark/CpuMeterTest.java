package io.pgjobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpuMeterTest {
    /** One run read twice (a cold drain: from the worker's launch, and from its ready): the keys must not collide. */
    @Test
    void aSecondReadingOfOneRunHasKeysOfItsOwn() {
        CpuMeter.Reading launch = new CpuMeter.Reading(0, 0, 0);
        CpuMeter.Reading ready = new CpuMeter.Reading(1_000_000_000L, 2_000_000_000L, 500_000_000L);
        CpuMeter.Reading end = new CpuMeter.Reading(3_000_000_000L, 6_000_000_000L, 2_500_000_000L);

        assertThat(end.resultKeys(launch, 20_000) + " " + end.resultKeys(ready, 20_000, "_from_ready"))
                .isEqualTo("pg_cpu_ms_per_1k=150.0 node_cpu_ms_per_1k=300.0 node_jit_cpu_ms_per_1k=125.0 "
                        + "pg_cpu_ms_per_1k_from_ready=100.0 node_cpu_ms_per_1k_from_ready=200.0 "
                        + "node_jit_cpu_ms_per_1k_from_ready=100.0");
    }

    @Test
    void anUnknownServerReadsAsUnknownAndUnreadCompilerThreadsAreLeftOut() {
        CpuMeter.Reading start = new CpuMeter.Reading(-1, 0, -1);
        CpuMeter.Reading end = new CpuMeter.Reading(-1, 1_000_000_000L, -1);

        assertThat(end.perThousandJobs(start, 1_000, "worker JVM"))
                .isEqualTo("postgres unknown ms, worker JVM 1000.0 ms");
    }
}
