package io.pgjobs.internal.loop;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one lifecycle of every background component (fetchers, completer, lease keeper, listener, and the
 * cluster chores): a single named thread that calls {@link #runOnce()} until stopped, sleeping in between for
 * as long as it asks unless {@link #wake()}d. Whatever one round throws is logged and followed by a growing
 * pause, so a lost database never kills the loop. {@link #start()} twice is harmless; so is {@link #stop()}
 * before start or twice; a stopped loop can be started again.
 */
public abstract class BackgroundLoop {
    private static final long MAX_ERROR_PAUSE_MS = 5_000;

    protected final Logger log = LoggerFactory.getLogger(getClass());
    private final String name;
    private final Waker waker = new Waker();
    private final Object lifecycle = new Object();
    private Thread thread;
    private volatile boolean running;
    /** System.nanoTime() when the round in progress began, 0 between rounds; for health checks. */
    private volatile long roundStartedNanos;
    /** System.nanoTime() when a round last ended without an error (or the loop started); for health checks. */
    private volatile long lastGoodRoundNanos;

    protected BackgroundLoop(String name) {
        this.name = name;
    }

    /** One round of work; returns how long to wait before the next unless woken (zero: go again at once). */
    protected abstract Duration runOnce() throws Exception;

    /** Called on the loop's thread after its last round, before {@link #stop()} returns. */
    protected void afterLastRound() {}

    public final void start() {
        synchronized (lifecycle) {
            if (thread != null) {
                return;
            }
            running = true;
            lastGoodRoundNanos = System.nanoTime();
            thread = Thread.ofPlatform().name(name).daemon(true).start(this::loop);
        }
    }

    /** Asks the loop to end, and waits for its thread to finish the round in progress and {@link #afterLastRound()}. */
    public final void stop() {
        Thread stopping;
        synchronized (lifecycle) {
            stopping = thread;
            if (stopping == null) {
                return;
            }
            running = false;
            thread = null;
        }
        waker.wake();
        boolean interrupted = false;
        while (stopping.isAlive()) {
            try {
                stopping.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    public final void wake() {
        waker.wake();
    }

    protected final boolean isRunning() {
        return running;
    }

    public final String name() {
        return name;
    }

    /** Whether the loop's thread is alive. */
    public final boolean isAlive() {
        synchronized (lifecycle) {
            return thread != null && thread.isAlive();
        }
    }

    /** How long the round in progress has been running; zero between rounds. */
    public final Duration currentRoundAge() {
        long started = roundStartedNanos;
        return started == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - started);
    }

    /** How long ago a round last ended without an error (or, before the first, the loop started). */
    public final Duration sinceLastGoodRound() {
        return Duration.ofNanos(System.nanoTime() - lastGoodRoundNanos);
    }

    private void loop() {
        long errorPauseMs = 100;
        try {
            while (running) {
                long waitMs;
                roundStartedNanos = System.nanoTime();
                try {
                    waitMs = runOnce().toMillis();
                    lastGoodRoundNanos = System.nanoTime();
                    errorPauseMs = 100;
                } catch (InterruptedException e) {
                    if (!running) {
                        break;
                    }
                    waitMs = 0;
                } catch (Throwable e) {
                    log.warn("{} failed, next try in {} ms: {}", name, errorPauseMs, e.toString(), e);
                    waitMs = errorPauseMs;
                    errorPauseMs = Math.min(errorPauseMs * 2, MAX_ERROR_PAUSE_MS);
                } finally {
                    roundStartedNanos = 0;
                }
                if (waitMs > 0 && running) {
                    try {
                        waker.await(waitMs);
                    } catch (InterruptedException e) {
                        // stop() does not interrupt; an interrupt from elsewhere just ends this wait early
                        Thread.interrupted();
                    }
                }
            }
        } finally {
            afterLastRound();
        }
    }
}
