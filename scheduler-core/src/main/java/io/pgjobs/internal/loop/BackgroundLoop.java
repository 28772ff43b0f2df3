package io.pgjobs.internal.loop;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one lifecycle of every background component (fetchers, completer, lease keeper, listener, and the
 * cluster chores): a single named thread that calls {@link #runOnce()} until stopped, sleeping in between for
 * as long as it asks unless {@link #wake()}d. Whatever one round throws is logged and followed by a growing
 * pause, so a lost database never kills the loop. {@link #start()} twice is harmless; so is {@link #stop()}
 * before start or twice; a stopped loop can be started again.
 *
 * <p>Stopping is bounded, whatever the round is blocked on: the loop gets until its deadline to finish its round
 * and {@link #afterLastRound()}, is then interrupted (which ends a wait for a pool's connection), and is left
 * behind (a daemon thread, logged) if even that does not end it, so that a scheduler's close always returns.
 */
public abstract class BackgroundLoop {
    private static final long MAX_ERROR_PAUSE_MS = 5_000;
    /** How long {@link #stop()} lets a loop finish before interrupting it. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);
    /** How long a stop waits for an interrupted loop before leaving its thread behind. */
    private static final Duration AFTER_INTERRUPT = Duration.ofMillis(500);

    protected final Logger log = LoggerFactory.getLogger(getClass());
    private final String name;
    private final Waker waker = new Waker();
    private final Object lifecycle = new Object();
    private Thread thread;
    /** The thread asked to stop and not yet waited for (see {@link #requestStop}). */
    private Thread stopping;
    private volatile boolean running;
    /** System.nanoTime() by which the loop should have stopped, once asked to. */
    private volatile long stopDeadlineNanos;
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

    /** Stops the loop, giving it {@link #STOP_WAIT} to finish its round and {@link #afterLastRound()}. */
    public final void stop() {
        stopBy(System.nanoTime() + STOP_WAIT.toNanos());
    }

    /** Stops the loop, giving it until {@code deadlineNanos} ({@link System#nanoTime()}) before interrupting it. */
    public final void stopBy(long deadlineNanos) {
        requestStop(deadlineNanos);
        awaitStop();
    }

    /** Stops every loop of {@code loops} at once, each by {@code deadlineNanos}. */
    public static void stopAll(Collection<? extends BackgroundLoop> loops, long deadlineNanos) {
        for (BackgroundLoop loop : loops) {
            loop.requestStop(deadlineNanos);
        }
        for (BackgroundLoop loop : loops) {
            loop.awaitStop();
        }
    }

    /** Asks the loop to end by {@code deadlineNanos}, without waiting for it (see {@link #awaitStop()}). */
    private void requestStop(long deadlineNanos) {
        synchronized (lifecycle) {
            if (thread == null) {
                return;
            }
            stopDeadlineNanos = deadlineNanos;
            stopping = thread;
            running = false;
            thread = null;
        }
        waker.wake();
    }

    /**
     * Waits for the loop asked to stop until its deadline, then interrupts it, and leaves it behind if it does not
     * end soon after.
     */
    private void awaitStop() {
        Thread ending;
        synchronized (lifecycle) {
            ending = stopping;
            stopping = null;
        }
        if (ending == null) {
            return;
        }
        boolean interrupted = false;
        long deadline = stopDeadlineNanos;
        boolean interruptSent = false;
        while (ending.isAlive()) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                if (interruptSent) {
                    log.warn("{} did not stop in time; leaving its thread behind, at {}", name,
                            Arrays.toString(ending.getStackTrace()));
                    break;
                }
                ending.interrupt();
                interruptSent = true;
                deadline = System.nanoTime() + AFTER_INTERRUPT.toNanos();
                continue;
            }
            try {
                ending.join(Duration.ofNanos(remaining));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** System.nanoTime() by which a loop asked to stop should have ended; for {@link #afterLastRound()}. */
    protected final long stopDeadlineNanos() {
        return stopDeadlineNanos;
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
                        // a stop past its deadline interrupts (running is false then); an interrupt from elsewhere
                        // just ends this wait early
                        Thread.interrupted();
                    }
                }
            }
        } finally {
            afterLastRound();
        }
    }
}
