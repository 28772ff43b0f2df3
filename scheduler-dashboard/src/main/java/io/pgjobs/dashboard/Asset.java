package io.pgjobs.dashboard;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * One static file of the UI, read once from the jar, with an ETag of its content. The page asks for
 * {@code app.js?v=<its ETag>} and {@code app.css?v=...}: a request naming the current version may be cached for a
 * year (a new jar changes the name), anything else, the page included, is revalidated each time (a 304 when
 * unchanged).
 */
record Asset(String contentType, byte[] content, String version) {
    private static final String STATIC = "/io/pgjobs/dashboard/static/";
    private static final String YEAR = "private, max-age=31536000, immutable";

    /** The UI's files by the path under the mount ("" is the page). */
    static Map<String, Asset> load() {
        Asset script = of(read("app.js"), "text/javascript;charset=utf-8");
        Asset styles = of(read("app.css"), "text/css;charset=utf-8");
        Asset icon = of(read("favicon.svg"), "image/svg+xml");
        // the flow-control page's own files (flow.js runs after app.js and uses its helpers)
        Asset flowScript = of(read("flow.js"), "text/javascript;charset=utf-8");
        Asset flowStyles = of(read("flow.css"), "text/css;charset=utf-8");
        String page = new String(read("index.html"), StandardCharsets.UTF_8)
                .replace("\"app.js\"", "\"app.js?v=" + script.version() + "\"")
                .replace("\"app.css\"", "\"app.css?v=" + styles.version() + "\"")
                .replace("\"favicon.svg\"", "\"favicon.svg?v=" + icon.version() + "\"")
                .replace("\"flow.js\"", "\"flow.js?v=" + flowScript.version() + "\"")
                .replace("\"flow.css\"", "\"flow.css?v=" + flowStyles.version() + "\"");
        return Map.of("", of(page.getBytes(StandardCharsets.UTF_8), "text/html;charset=utf-8"),
                "app.js", script, "app.css", styles, "favicon.svg", icon, "flow.js", flowScript, "flow.css", flowStyles);
    }

    void serve(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String etag = "\"" + version + "\"";
        response.setHeader("ETag", etag);
        response.setHeader("Cache-Control", version.equals(request.getParameter("v")) ? YEAR : "private, no-cache");
        if (etag.equals(request.getHeader("If-None-Match"))) {
            response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        response.setContentType(contentType);
        response.setContentLength(content.length);
        response.getOutputStream().write(content);
    }

    private static Asset of(byte[] content, String contentType) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(content);
            return new Asset(contentType, content, HexFormat.of().formatHex(digest, 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static byte[] read(String name) {
        try (InputStream in = Asset.class.getResourceAsStream(STATIC + name)) {
            if (in == null) {
                throw new IllegalStateException("the dashboard jar lacks its asset " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the dashboard's asset " + name, e);
        }
    }
}
