package io.pgjobs.dashboard;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Protects every state-changing request from cross-site forgery twice: the request must carry the user's token
 * in the {@value #HEADER} header (a page on another site can neither read it nor set custom headers without a
 * CORS preflight, which the dashboard never grants), and a browser's {@code Origin} or {@code Sec-Fetch-Site}
 * must not name another site. Tokens are an HMAC of the user name under a key drawn at start, so they need no
 * session and die with the server.
 */
final class CsrfGuard {
    static final String HEADER = "X-PgJobs-Csrf";

    private final SecretKeySpec key;

    CsrfGuard() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    String tokenFor(DashboardUser user) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(user.name().getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /** Why {@code request} is refused, or null when it may change state. */
    String refusal(HttpServletRequest request, DashboardUser user) {
        if ("cross-site".equals(request.getHeader("Sec-Fetch-Site"))) {
            return "cross-site request refused";
        }
        String origin = request.getHeader("Origin");
        if (origin != null && !sameOrigin(origin, request)) {
            return "cross-origin request refused (Origin " + Excerpt.of(origin) + ")";
        }
        String token = request.getHeader(HEADER);
        if (token == null) {
            return "missing " + HEADER + " header (get it from GET api/session)";
        }
        if (!MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), tokenFor(user).getBytes(StandardCharsets.UTF_8))) {
            return "wrong " + HEADER + " token";
        }
        return null;
    }

    private static boolean sameOrigin(String origin, HttpServletRequest request) {
        try {
            URI uri = URI.create(origin);
            int port = uri.getPort() == -1 ? ("https".equals(uri.getScheme()) ? 443 : 80) : uri.getPort();
            return request.getScheme().equalsIgnoreCase(uri.getScheme())
                    && request.getServerName().equalsIgnoreCase(uri.getHost()) && request.getServerPort() == port;
        } catch (IllegalArgumentException malformed) {
            return false;
        }
    }
}
