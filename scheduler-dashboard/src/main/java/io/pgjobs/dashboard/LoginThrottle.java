package io.pgjobs.dashboard;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Slows down password guessing for {@link BasicAuth}: after {@value #FREE_USER_FAILURES} failed logins of one
 * user name, or {@value #FREE_ADDRESS_FAILURES} from one client address, each further attempt must wait twice
 * as long as the one before (1 s, 2 s, 4 s, ... up to {@link #MAX_WAIT}), right password or not (answering
 * a right one would tell the guesser it was right). A success clears the user's count, not the address's (an
 * attacker behind the same address as real users must not get fresh attempts from their logins); a count is
 * forgotten {@link #FORGET_AFTER} after its last failure.
 *
 * <p>The clock is this process's monotonic one: the throttle is in-memory state of one server (a restart or
 * another instance starts afresh), not data shared through the database.
 */
final class LoginThrottle {
    static final int FREE_USER_FAILURES = 5;
    static final int FREE_ADDRESS_FAILURES = 20;
    static final Duration MAX_WAIT = Duration.ofMinutes(5);
    static final Duration FORGET_AFTER = Duration.ofMinutes(15);
    /** Bounds the memory an attacker can make us spend on names and addresses (least recently failed go first). */
    private static final int MAX_TRACKED = 10_000;

    private record Failures(int count, long lastNanos, long lockedUntilNanos) {}

    private final LongSupplier nanoTime;
    private final Map<String, Failures> failures = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
            return size() > MAX_TRACKED;
        }
    };

    LoginThrottle(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** How long a login of {@code user} from {@code address} must still wait; zero when it may try now. */
    synchronized Duration waitFor(String user, String address) {
        long now = nanoTime.getAsLong();
        long until = Math.max(lockedUntil("user:" + user, now), lockedUntil("address:" + address, now));
        return until > now ? Duration.ofNanos(until - now) : Duration.ZERO;
    }

    /** Counts a failed login; returns the wait it imposes from now on (zero while attempts are still free). */
    synchronized Duration failed(String user, String address) {
        long now = nanoTime.getAsLong();
        long wait = Math.max(count("user:" + user, FREE_USER_FAILURES, now),
                count("address:" + address, FREE_ADDRESS_FAILURES, now));
        return Duration.ofNanos(wait);
    }

    synchronized void succeeded(String user) {
        failures.remove("user:" + user);
    }

    private long lockedUntil(String key, long now) {
        Failures f = failures.get(key);
        return f == null || now - f.lastNanos() > FORGET_AFTER.toNanos() ? now : f.lockedUntilNanos();
    }

    private long count(String key, int free, long now) {
        Failures before = failures.get(key);
        int count = before == null || now - before.lastNanos() > FORGET_AFTER.toNanos() ? 1 : before.count() + 1;
        long wait = count < free ? 0
                : Math.min(MAX_WAIT.toNanos(), Duration.ofSeconds(1).toNanos() << Math.min(30, count - free));
        failures.put(key, new Failures(count, now, now + wait));
        return wait;
    }
}
