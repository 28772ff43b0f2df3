package io.pgjobs.internal.loop;

/**
 * A wake-up signal that is never lost: a {@link #wake()} that comes before {@link #await} makes the next await
 * return at once. Many wakes before one await count as one.
 */
final class Waker {
    private boolean signalled;

    synchronized void wake() {
        signalled = true;
        notifyAll();
    }

    /** Waits up to {@code millis} for a wake; returns whether one came. Clears the signal. */
    synchronized boolean await(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!signalled) {
            long remaining = (deadline - System.nanoTime()) / 1_000_000L;
            if (remaining <= 0) {
                return false;
            }
            wait(remaining);
        }
        signalled = false;
        return true;
    }
}
