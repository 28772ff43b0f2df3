package io.pgjobs.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Health;
import io.pgjobs.Health.Status;
import io.pgjobs.internal.loop.BackgroundLoop;
import io.pgjobs.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The node check on real loops, with thresholds short enough to cross in a test. */
class LoopHeartbeatTest {
    private static final Duration STUCK_AFTER = Duration.ofMillis(300);
    private static final Duration STALE_AFTER = Duration.ofMillis(300);

    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicBoolean failing = new AtomicBoolean();
    private final AtomicBoolean blocking = new AtomicBoolean();
    private final BackgroundLoop loop = new BackgroundLoop("test-loop") {
        @Override
        protected Duration runOnce() throws Exception {
            if (blocking.get()) {
                release.await();
            }
            if (failing.get()) {
                throw new IllegalStateException("database unreachable (simulated)");
            }
            return Duration.ofMillis(10);
        }
    };

    @AfterEach
    void stopLoop() {
        release.countDown();
        loop.stop();
    }

    private LoopHeartbeat heartbeat(Node.State state) {
        return new LoopHeartbeat(() -> state, () -> List.of(loop), STUCK_AFTER, STALE_AFTER);
    }

    @Test
    void runningLoopsAreUp() {
        loop.start();
        assertThat(heartbeat(Node.State.STARTED).check().status()).isEqualTo(Status.UP);
    }

    @Test
    void aLoopWhoseRoundsKeepFailingIsDegradedNotDown() throws Exception {
        failing.set(true);
        loop.start();
        LoopHeartbeat heartbeat = heartbeat(Node.State.STARTED);
        Await.until(Duration.ofSeconds(10), "the node degraded", () -> heartbeat.check().status() == Status.DEGRADED);
        assertThat(heartbeat.check().detail()).contains("test-loop has not finished a round without error");
        assertThat(Health.of(List.of(heartbeat.check())).livenessStatusCode()).isEqualTo(200);

        failing.set(false);
        Await.until(Duration.ofSeconds(10), "the node up again", () -> heartbeat.check().status() == Status.UP);
    }

    @Test
    void aLoopStuckInOneRoundIsDownAndFailsLiveness() throws Exception {
        blocking.set(true);
        loop.start();
        LoopHeartbeat heartbeat = heartbeat(Node.State.STARTED);
        Await.until(Duration.ofSeconds(10), "the node down", () -> heartbeat.check().status() == Status.DOWN);
        assertThat(heartbeat.check().detail()).contains("test-loop has been stuck in one round");
        assertThat(Health.of(List.of(heartbeat.check())).livenessStatusCode()).isEqualTo(503);
    }

    @Test
    void aLoopThatIsNotRunningIsDown() {
        Health.Check check = heartbeat(Node.State.STARTED).check();
        assertThat(check.status()).isEqualTo(Status.DOWN);
        assertThat(check.detail()).isEqualTo("test-loop is not running");
    }

    @Test
    void aRuntimeNotYetStartedIsUnknownAndAStoppedOneDown() {
        assertThat(heartbeat(Node.State.NEW).check().status()).isEqualTo(Status.UNKNOWN);
        assertThat(heartbeat(Node.State.STOPPED).check().status()).isEqualTo(Status.DOWN);
    }
}
