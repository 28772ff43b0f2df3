package io.pgjobs.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.pgjobs.Health;
import io.pgjobs.PgJobsException;
import io.pgjobs.Scheduler;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pgjobs' dashboard: a single-page UI and its JSON API, served under whatever path the host maps it to
 * (map it to {@code /jobs/*} and open {@code /jobs/}). Register it with any Jakarta Servlet 6 container:
 *
 * <pre>{@code
 * var servlet = new DashboardServlet(scheduler, request -> hostUser(request));
 * // Spring Boot: new ServletRegistrationBean<>(servlet, "/jobs/*")
 * // Jetty:       context.addServlet(new ServletHolder(servlet), "/jobs/*")
 * }</pre>
 *
 * <p>Every request is authenticated by the {@link DashboardAuth} hook (none: 401). Viewers read; only operators
 * act (403 otherwise), and every action must pass the {@link CsrfGuard}. Args and metadata go through the
 * {@link ArgsRedactor} before they leave the server, and the UI renders every value as text.
 *
 * <p>The exceptions are the probes {@code health/live} and {@code health/ready}: {@link Scheduler#health()} with
 * its liveness or readiness status code, answered without credentials because Kubernetes probes cannot send
 * them. Anonymous callers get each check's name and status only; the details (database error messages, which
 * may name hosts and users, and job counts) need an authenticated user.
 */
public final class DashboardServlet extends HttpServlet {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardServlet.class);
    private static final String STATIC = "/io/pgjobs/dashboard/static/";
    private static final Map<String, String> ASSETS = Map.of(
            "", "index.html", "app.js", "app.js", "app.css", "app.css");
    private static final int MAX_BODY_BYTES = 2 * 1024 * 1024;

    private final transient DashboardAuth auth;
    private final transient CsrfGuard csrf = new CsrfGuard();
    private final transient ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);
    private final transient DashboardApi api;
    private final transient Scheduler scheduler;

    /**
     * A dashboard over {@code scheduler}'s operator API and health, whose users {@code auth} names, with the
     * default redaction of secrets. The scheduler need not be started (a dashboard-only process): its health
     * then reports the database and the cluster's leader, and its own node as not started.
     */
    public DashboardServlet(Scheduler scheduler, DashboardAuth auth) {
        this(scheduler, auth, ArgsRedactor.defaults());
    }

    public DashboardServlet(Scheduler scheduler, DashboardAuth auth, ArgsRedactor redactor) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.auth = Objects.requireNonNull(auth, "auth");
        this.api = new DashboardApi(scheduler.admin(), Objects.requireNonNull(redactor, "redactor"), json);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo();
        if (path == null) {
            // the UI's relative links need the trailing slash
            response.sendRedirect(request.getRequestURI() + "/");
            return;
        }
        securityHeaders(response);
        DashboardUser user = auth.authenticate(request);
        if (path.equals("/health/live") || path.equals("/health/ready")) {
            serveHealth(request, response, user != null, path.endsWith("live"));
            return;
        }
        if (user == null) {
            if (auth.challenge() != null) {
                response.setHeader("WWW-Authenticate", auth.challenge());
            }
            send(response, 401, Map.of("error", "authentication required"));
            return;
        }
        String relative = path.substring(1);
        if (relative.startsWith("api/")) {
            serveApi(request, response, user, relative.substring(4));
        } else if (request.getMethod().equals("GET") && ASSETS.containsKey(relative)) {
            serveAsset(response, ASSETS.get(relative));
        } else {
            send(response, 404, Map.of("error", "no such page: " + path));
        }
    }

    private void serveApi(HttpServletRequest request, HttpServletResponse response, DashboardUser user, String path)
            throws IOException {
        response.setHeader("Cache-Control", "no-store");
        if (path.equals("session") && request.getMethod().equals("GET")) {
            send(response, 200, Map.of("user", user.name(), "role", user.role().name().toLowerCase(),
                    "csrfToken", csrf.tokenFor(user)));
            return;
        }
        for (DashboardApi.Route route : api.routes()) {
            Matcher matcher = route.path().matcher(path);
            if (!matcher.matches()) {
                continue;
            }
            if (!route.method().equals(request.getMethod())) {
                response.setHeader("Allow", route.method());
                send(response, 405, Map.of("error", path + " takes " + route.method()));
                return;
            }
            if (route.acts()) {
                if (!user.mayAct()) {
                    send(response, 403, Map.of("error", "user '" + user.name() + "' is a viewer; actions need the operator role"));
                    return;
                }
                String refusal = csrf.refusal(request, user);
                if (refusal != null) {
                    send(response, 403, Map.of("error", refusal));
                    return;
                }
            }
            call(route, matcher, request, response, user);
            return;
        }
        send(response, 404, Map.of("error", "no such endpoint: api/" + path));
    }

    private void call(DashboardApi.Route route, Matcher matcher, HttpServletRequest request,
                      HttpServletResponse response, DashboardUser user) throws IOException {
        try {
            JsonNode body = route.acts() ? body(request) : JsonNodeFactory.instance.objectNode();
            Object result = route.handler().apply(new DashboardApi.Call(matcher,
                    DashboardApi.params(body, request::getParameter), body, user));
            send(response, 200, result);
        } catch (IllegalArgumentException e) {
            send(response, 400, Map.of("error", e.getMessage()));
        } catch (DashboardApi.NotFound e) {
            send(response, 404, Map.of("error", e.getMessage()));
        } catch (PgJobsException e) {
            LOG.warn("dashboard request {} {} failed", request.getMethod(), request.getRequestURI(), e);
            send(response, 503, Map.of("error", e.getMessage()));
        }
    }

    private void serveHealth(HttpServletRequest request, HttpServletResponse response, boolean authenticated,
                             boolean liveness) throws IOException {
        if (!request.getMethod().equals("GET")) {
            response.setHeader("Allow", "GET");
            send(response, 405, Map.of("error", "health probes take GET"));
            return;
        }
        response.setHeader("Cache-Control", "no-store");
        Health health = scheduler.health();
        if (!authenticated) {
            health = new Health(health.status(), health.checks().stream()
                    .map(c -> new Health.Check(c.name(), c.status(), "")).toList());
        }
        response.setStatus(liveness ? health.livenessStatusCode() : health.readinessStatusCode());
        response.setContentType("application/json;charset=utf-8");
        response.getOutputStream().write(health.toJson().getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode body(HttpServletRequest request) throws IOException {
        if (request.getContentLength() > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("body: larger than " + MAX_BODY_BYTES + " bytes");
        }
        byte[] bytes = request.getInputStream().readNBytes(MAX_BODY_BYTES + 1);
        if (bytes.length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("body: larger than " + MAX_BODY_BYTES + " bytes");
        }
        if (bytes.length == 0) {
            return JsonNodeFactory.instance.objectNode();
        }
        try {
            JsonNode body = json.readTree(bytes);
            if (!body.isObject()) {
                throw new IllegalArgumentException("body: must be a JSON object");
            }
            return body;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("body: not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private void serveAsset(HttpServletResponse response, String name) throws IOException {
        try (InputStream in = DashboardServlet.class.getResourceAsStream(STATIC + name)) {
            if (in == null) {
                throw new IllegalStateException("the dashboard jar lacks its asset " + name);
            }
            response.setContentType(name.endsWith(".js") ? "text/javascript;charset=utf-8"
                    : name.endsWith(".css") ? "text/css;charset=utf-8" : "text/html;charset=utf-8");
            in.transferTo(response.getOutputStream());
        }
    }

    /** The UI loads only its own files and is never framed, so injected markup could not run script anyway. */
    private static void securityHeaders(HttpServletResponse response) {
        response.setHeader("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "
                + "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("X-Frame-Options", "DENY");
    }

    private void send(HttpServletResponse response, int status, Object body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json;charset=utf-8");
        json.writeValue(response.getOutputStream(), body);
    }
}
