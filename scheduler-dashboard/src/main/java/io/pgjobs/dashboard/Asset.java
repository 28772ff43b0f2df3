package io.pgjobs.dashboard;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
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

    /**
     * The UI's files beside the page: the page's script and styles, its icon, and each page's own script and styles
     * (loaded after app.js, whose helpers they use).
     */
    private static final List<String> FILES = List.of("app.js", "app.css", "favicon.svg", "flow.js", "flow.css",
            "workflows.js", "workflows.css", "events.js");

    /** The UI's files by the path under the mount ("" is the page, which names each file with its version). */
    static Map<String, Asset> load() {
        Map<String, Asset> assets = new HashMap<>();
        String page = new String(read("index.html"), StandardCharsets.UTF_8);
        for (String name : FILES) {
            Asset asset = of(read(name), name.endsWith(".js") ? "text/javascript;charset=utf-8"
                    : name.endsWith(".css") ? "text/css;charset=utf-8" : "image/svg+xml");
            assets.put(name, asset);
            page = page.replace("\"" + name + "\"", "\"" + name + "?v=" + asset.version() + "\"");
        }
        assets.put("", of(page.getBytes(StandardCharsets.UTF_8), "text/html;charset=utf-8"));
        return Map.copyOf(assets);
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
