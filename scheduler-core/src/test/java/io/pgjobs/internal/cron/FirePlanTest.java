package io.pgjobs.internal.cron;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Schedule.MisfirePolicy;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Late fire times fire as usual; missed ones (over a minute late) follow the misfire policy. */
class FirePlanTest {
    private static final Recurrence EVERY_MINUTE = CronSyntax.parse("* * * * *", ZoneOffset.UTC);
    private static final Instant NOW = Instant.parse("2025-06-01T12:00:30Z");

    private static Instant at(String time) {
        return Instant.parse("2025-06-01T" + time + "Z");
    }

    @Test
    void aFireTimeLessThanAMinuteLateFiresAndAdvancesByOne() {
        FirePlan plan = FirePlan.of(EVERY_MINUTE, at("11:59:40"), NOW, MisfirePolicy.SKIP, 10);
        assertThat(plan).isEqualTo(new FirePlan(List.of(at("11:59:40")), at("12:00:00"), false));
    }

    @Test
    void fireOnceFiresTheFirstMissedTimeAndContinuesAfterNow() {
        FirePlan plan = FirePlan.of(EVERY_MINUTE, at("11:00:00"), NOW, MisfirePolicy.FIRE_ONCE, 10);
        assertThat(plan).isEqualTo(new FirePlan(List.of(at("11:00:00")), at("12:01:00"), true));
    }

    @Test
    void skipFiresNothing() {
        FirePlan plan = FirePlan.of(EVERY_MINUTE, at("11:00:00"), NOW, MisfirePolicy.SKIP, 10);
        assertThat(plan).isEqualTo(new FirePlan(List.of(), at("12:01:00"), true));
    }

    @Test
    void fireAllFiresTheMissedTimesOldestFirstUpToTheLimit() {
        FirePlan plan = FirePlan.of(EVERY_MINUTE, at("11:00:00"), NOW, MisfirePolicy.FIRE_ALL, 3);
        assertThat(plan).isEqualTo(new FirePlan(List.of(at("11:00:00"), at("11:01:00"), at("11:02:00")),
                at("12:01:00"), true));
        FirePlan all = FirePlan.of(EVERY_MINUTE, at("11:57:00"), NOW, MisfirePolicy.FIRE_ALL, 10);
        assertThat(all.fireTimes()).containsExactly(at("11:57:00"), at("11:58:00"), at("11:59:00"), at("12:00:00"));
    }
}
