package io.pgjobs.internal.runtime;

import io.pgjobs.PgJobsException;
import io.pgjobs.internal.store.ConnectionErrors;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a scheduler's start-up work (migrations, queue depths, schedules) again while the database is briefly away:
 * a node restarted together with its database, or while a failover or a restart ends its connections, meets
 * refused connections and sessions closed under it for a few seconds. Only such connection errors are retried,
 * with a growing pause, until the start timeout; any other error, and the last connection error after the
 * timeout, ends the start at once.
 */
public final class StartRetry {
    private static final Logger log = LoggerFactory.getLogger(StartRetry.class);
    private static final long FIRST_PAUSE_MS = 100;
    private static final long MAX_PAUSE_MS = 2_000;

    /** The start-up work: everything in it must be safe to run again after a partial run. */
    @FunctionalInterface
    public interface Step {
        void run();
    }

    /** Runs {@code step}, again after each connection error, until it succeeds or {@code timeout} has passed. */
    public static void until(Duration timeout, Step step) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMs = FIRST_PAUSE_MS;
        int tries = 0;
        while (true) {
            tries++;
            try {
                step.run();
                return;
            } catch (RuntimeException e) {
                if (!ConnectionErrors.isConnectionError(e)) {
                    throw e;
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new PgJobsException("pgjobs could not start: the database was not reachable within the "
                            + "start timeout of " + timeout + " (" + tries + " tries); last error: " + e.getMessage(), e);
                }
                long pause = Math.min(pauseMs, left);
                log.warn("pgjobs could not reach the database while starting, next try in {} ms: {}", pause,
                        e.getMessage());
                sleep(pause);
                pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis); // the pause before the next try
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgJobsException("pgjobs' start was interrupted while waiting for the database", e);
        }
    }

    private StartRetry() {}
}
