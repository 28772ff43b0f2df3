package io.pgjobs.dashboard;

import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP Basic authentication against a fixed list of users, for the standalone server. The list reads
 * {@code name:password:role,name:password:role} with role {@code viewer} or {@code operator}.
 */
public final class BasicAuth implements DashboardAuth {
    private record Account(byte[] password, DashboardUser user) {}

    private final Map<String, Account> accounts;

    private BasicAuth(Map<String, Account> accounts) {
        this.accounts = accounts;
    }

    public static BasicAuth parse(String users) {
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
        return new BasicAuth(Map.copyOf(accounts));
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
        Account account = colon < 0 ? null : accounts.get(decoded.substring(0, colon));
        if (account == null) {
            return null;
        }
        byte[] given = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, account.password()) ? account.user() : null;
    }

    @Override
    public String challenge() {
        return "Basic realm=\"pgjobs\", charset=\"UTF-8\"";
    }
}
