package io.pgjobs.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.testing.Await;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** What health checks read from a loop: alive, stuck in a round, or failing its rounds. */
class BackgroundLoopProgressTest {

    @Test
    void aRoundInProgressAgesUntilItEnds() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BackgroundLoop loop = new BackgroundLoop("test-stuck") {
            @Override
            protected Duration runOnce() throws Exception {
                entered.countDown();
                release.await();
                return Duration.ofHours(1);
            }
        };
        loop.start();
        entered.await();
        Await.until(Duration.ofSeconds(10), "the round aged", () -> loop.currentRoundAge().toMillis() >= 100);
        assertThat(loop.isAlive()).isTrue();

        release.countDown();
        Await.until(Duration.ofSeconds(10), "the round ended", () -> loop.currentRoundAge().isZero());
        loop.stop();
        assertThat(loop.isAlive()).isFalse();
    }

    @Test
    void failingRoundsLeaveTheLastGoodRoundBehind() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        BackgroundLoop loop = new BackgroundLoop("test-failing") {
            @Override
            protected Duration runOnce() {
                if (failing.get()) {
                    throw new IllegalStateException("database unreachable (simulated)");
                }
                return Duration.ofMillis(10);
            }
        };
        loop.start();
        Await.until(Duration.ofSeconds(10), "no good round for a while", () -> loop.sinceLastGoodRound().toMillis() >= 300);
        assertThat(loop.isAlive()).isTrue();

        failing.set(false);
        Await.until(Duration.ofSeconds(10), "a good round again", () -> loop.sinceLastGoodRound().toMillis() < 200);
        loop.stop();
    }
}
