package io.pgjobs.dashboard;

import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP Basic authentication against a fixed list of users, for the standalone server. The list reads
 * {@code name:password:role,name:password:role} with role {@code viewer} or {@code operator}. Failed logins
 * are throttled per user name and per client address ({@link LoginThrottle}): a throttled attempt is refused
 * with {@link DashboardAuth.Throttled} (a 429) and logged.
 */
public final class BasicAuth implements DashboardAuth {
    private static final Logger LOG = LoggerFactory.getLogger(BasicAuth.class);

    private record Account(byte[] password, DashboardUser user) {}

    private final Map<String, Account> accounts;
    private final LoginThrottle throttle;

    private BasicAuth(Map<String, Account> accounts, LongSupplier nanoTime) {
        this.accounts = accounts;
        this.throttle = new LoginThrottle(nanoTime);
    }

    /**
     * The users of a list.
     *
     * @param users {@code name:password:role,name:password:role}
     * @return the authentication
     * @throws IllegalArgumentException naming what is wrong with the list
     */
    public static BasicAuth parse(String users) {
        return parse(users, System::nanoTime);
    }

    /** As {@link #parse(String)}, with the clock of the login throttle (tests move it). */
    static BasicAuth parse(String users, LongSupplier nanoTime) {
        if (users == null || users.isBlank()) {
            throw new IllegalArgumentException("users: at least one name:password:role is required");
        }
        Map<String, Account> accounts = new LinkedHashMap<>();
        for (String entry : users.split(",")) {
            String[] parts = entry.strip().split(":", 3);
            if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new IllegalArgumentException("users: expected name:password:role, got an entry with "
                        + parts.length + " part(s)");
            }
            DashboardUser.Role role;
            try {
                role = DashboardUser.Role.valueOf(parts[2].strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("users: role of '" + parts[0] + "' must be viewer or operator", e);
            }
            accounts.put(parts[0], new Account(parts[1].getBytes(StandardCharsets.UTF_8), new DashboardUser(parts[0], role)));
        }
        return new BasicAuth(Map.copyOf(accounts), nanoTime);
    }

    @Override
    public DashboardUser authenticate(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notBase64) {
            return null;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String name = decoded.substring(0, colon);
        // for the log: a name is the client's text, which must not start a forged log line
        String logged = name.replaceAll("\\p{Cntrl}", "?");
        String address = request.getRemoteAddr();
        Duration wait = throttle.waitFor(name, address);
        if (!wait.isZero()) {
            Throttled refusal = new Throttled(wait);
            LOG.warn("dashboard login of user '{}' from {} refused: throttled for another {} s after failed logins",
                    logged, address, refusal.retryAfterSeconds());
            throw refusal;
        }
        Account account = accounts.get(name);
        byte[] given = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        if (account != null && MessageDigest.isEqual(given, account.password())) {
            throttle.succeeded(name);
            return account.user();
        }
        Duration imposed = throttle.failed(name, address);
        if (!imposed.isZero()) {
            LOG.warn("dashboard login of user '{}' from {} failed again: the next attempt waits {} s",
                    logged, address, imposed.toSeconds());
        }
        return null;
    }

    @Override
    public String challenge() {
        return "Basic realm=\"pgjobs\", charset=\"UTF-8\"";
    }
}
