package io.pgjobs.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.pgjobs.Health;
import io.pgjobs.PgJobsException;
import io.pgjobs.Scheduler;
import io.pgjobs.admin.NotFoundException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.stream.Stream;
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
 * act (403 otherwise), and every action must pass the {@link CsrfGuard}. Args, metadata, results, errors and
 * audit details go through the {@link Redactor} before they leave the server, and the UI renders every value
 * as text. Every error is JSON ({@code {"error": "..."}}): bad input a 400 naming the parameter, a database
 * failure a 503 that says only what failed (the SQL, PostgreSQL's message and the stack go to the log).
 *
 * <p>Behind a TLS-terminating proxy the CSRF origin check compares the browser's {@code Origin} with the
 * request's scheme, host and port as the container reports them: let the container take them from the proxy's
 * forwarded headers (Spring Boot: {@code server.forward-headers-strategy=native}; Tomcat: {@code RemoteIpValve};
 * Jetty: {@code ForwardedRequestCustomizer}, which {@link DashboardServer} adds with
 * {@code --trust-proxy-headers}).
 *
 * <p>The exceptions are the probes {@code health/live} and {@code health/ready}: {@link Scheduler#health()} with
 * its liveness or readiness status code, answered without credentials because Kubernetes probes cannot send
 * them. Anonymous callers get each check's name and status only; the details (database error messages, which
 * may name hosts and users, and job counts) need an authenticated user.
 */
public final class DashboardServlet extends HttpServlet {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardServlet.class);
    private static final int MAX_BODY_BYTES = 2 * 1024 * 1024;
    /** Set on a request once its body was read: a response to a request whose body was not closes the connection. */
    private static final String BODY_READ = DashboardServlet.class.getName() + ".bodyRead";

    private final transient DashboardAuth auth;
    private final transient CsrfGuard csrf = new CsrfGuard();
    /**
     * Reads bodies refusing a field given twice (which would otherwise be the last one, silently) and anything after
     * the object (which would otherwise go unread: {@code {"action": "retry"}{"action": "delete"}} would retry).
     * Numbers with a fraction or an exponent are read as the decimal written, never as a double, so that a job's
     * args are shown and cloned as they are stored ({@code 1e400} as a double is the string {@code "Infinity"}).
     */
    private final transient ObjectMapper json = JsonMapper.builder().addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES).build();
    /** The session, then the API's routes. */
    private final transient List<DashboardApi.Route> routes;
    private final transient Scheduler scheduler;
    private final transient Map<String, Asset> assets = Asset.load();

    /**
     * A dashboard over {@code scheduler}'s operator API and health, whose users {@code auth} names, with the
     * {@link Redactor#defaults() default redaction} of secrets. The scheduler need not be started (a
     * dashboard-only process): its health then reports the database and the cluster's leader, and its own node
     * as not started.
     *
     * @param scheduler the scheduler whose operator API it serves
     * @param auth who the users are
     */
    public DashboardServlet(Scheduler scheduler, DashboardAuth auth) {
        this(scheduler, auth, Redactor.defaults());
    }

    /**
     * A dashboard as {@link #DashboardServlet(Scheduler, DashboardAuth)}, with redaction rules of the host's own.
     *
     * @param scheduler the scheduler whose operator API it serves
     * @param auth who the users are
     * @param redactor what it hides
     */
    public DashboardServlet(Scheduler scheduler, DashboardAuth auth, Redactor redactor) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.auth = Objects.requireNonNull(auth, "auth");
        DashboardApi api = new DashboardApi(scheduler.admin(), Objects.requireNonNull(redactor, "redactor"), json);
        this.routes = Stream.concat(Stream.of(DashboardApi.get("session", c -> Map.of("user", c.user().name(),
                "role", c.user().role().name().toLowerCase(), "csrfToken", csrf.tokenFor(c.user())))),
                api.routes().stream()).toList();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            serve(request, response);
        } catch (RuntimeException e) {
            LOG.error("dashboard request {} {} failed", request.getMethod(), request.getRequestURI(), e);
            if (!response.isCommitted()) {
                response.reset();
                securityHeaders(response);
                send(request, response, 500, Map.of("error", "internal error (the server's log has the details)"));
            }
        }
    }

    private void serve(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo();
        if (path == null) {
            // the UI's relative links need the trailing slash; the mount's own path, not the request's text, so
            // that nothing the client wrote (path parameters, an empty segment making it //host) is sent back
            response.setStatus(HttpServletResponse.SC_FOUND);
            response.setHeader("Location", request.getContextPath() + request.getServletPath() + "/");
            return;
        }
        securityHeaders(response);
        String method = readMethod(request);
        boolean probe = path.equals("/health/live") || path.equals("/health/ready");
        DashboardUser user;
        try {
            user = auth.authenticate(request);
        } catch (DashboardAuth.Throttled e) {
            if (!probe) {
                response.setHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
                send(request, response, 429, Map.of("error", e.getMessage()));
                return;
            }
            user = null;
        }
        if (probe) {
            serveHealth(request, response, method, user != null, path.endsWith("live"));
            return;
        }
        if (user == null) {
            if (auth.challenge() != null) {
                response.setHeader("WWW-Authenticate", auth.challenge());
            }
            send(request, response, 401, Map.of("error", "authentication required"));
            return;
        }
        String relative = path.substring(1);
        Asset asset = assets.get(relative);
        if (relative.startsWith("api/")) {
            serveApi(request, response, method, user, relative.substring(4));
        } else if (asset == null) {
            send(request, response, 404, Map.of("error", "no such page"));
        } else if (!method.equals("GET")) {
            response.setHeader("Allow", allowed("GET"));
            send(request, response, 405, Map.of("error", "this page takes GET"));
        } else {
            asset.serve(request, response);
        }
    }

    /**
     * The request's method, HEAD read as GET: HTTP's HEAD is a GET whose answer has the same status and headers
     * and no body, and a Servlet 6 container sends no body for it (as HttpServlet's own doHead relies on).
     */
    private static String readMethod(HttpServletRequest request) {
        return request.getMethod().equals("HEAD") ? "GET" : request.getMethod();
    }

    /** The Allow header of a path that takes {@code method}: one that takes GET takes HEAD too. */
    private static String allowed(String method) {
        return method.equals("GET") ? "GET, HEAD" : method;
    }

    private void serveApi(HttpServletRequest request, HttpServletResponse response, String method, DashboardUser user,
                          String path) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        for (DashboardApi.Route route : routes) {
            Matcher matcher = route.path().matcher(path);
            if (!matcher.matches()) {
                continue;
            }
            if (!route.method().equals(method)) {
                response.setHeader("Allow", allowed(route.method()));
                send(request, response, 405, Map.of("error", "this endpoint takes " + route.method()));
                return;
            }
            if (route.acts()) {
                if (!user.mayAct()) {
                    send(request, response, 403, Map.of("error", "user '" + user.name() + "' is a viewer; actions need the operator role"));
                    return;
                }
                String refusal = csrf.refusal(request, user);
                if (refusal != null) {
                    send(request, response, 403, Map.of("error", refusal));
                    return;
                }
                String unreadable = contentTypeRefusal(request);
                if (unreadable != null) {
                    send(request, response, 415, Map.of("error", unreadable));
                    return;
                }
            }
            call(route, matcher, request, response, user);
            return;
        }
        send(request, response, 404, Map.of("error", "no such endpoint"));
    }

    /**
     * Why an action's body cannot be read as JSON, from its {@code Content-Type}; null when it can. A form's fields
     * or text, read as JSON, would be another action than the sender meant. A body without a type is taken as
     * JSON; one with a charset other than UTF-8 is refused, since the body is read as UTF-8 (RFC 8259 defines no
     * charset parameter for JSON, but clients send {@code charset=utf-8}).
     */
    private static String contentTypeRefusal(HttpServletRequest request) {
        String type = request.getContentType();
        if (type == null) {
            return null;
        }
        if (!type.split(";", 2)[0].strip().equalsIgnoreCase("application/json")) {
            return "Content-Type: must be application/json, got " + Excerpt.of(type);
        }
        String charset = request.getCharacterEncoding();
        if (charset != null && !charset.strip().equalsIgnoreCase("utf-8") && !charset.strip().equalsIgnoreCase("utf8")) {
            return "Content-Type: the body is read as UTF-8; charset " + Excerpt.of(charset) + " is not accepted"
                    + " (send UTF-8, with charset=utf-8 or no charset)";
        }
        return null;
    }

    private void call(DashboardApi.Route route, Matcher matcher, HttpServletRequest request,
                      HttpServletResponse response, DashboardUser user) throws IOException {
        try {
            JsonNode body;
            Function<String, String> params;
            if (route.acts()) {
                if (request.getQueryString() != null && !request.getQueryString().isEmpty()) {
                    // a field in the query would be one the action never reads (or one the body contradicts)
                    throw new IllegalArgumentException("query: an action takes its fields in its JSON body,"
                            + " not in the query string");
                }
                body = body(request);
                params = DashboardApi.bodyParams(route, body);
            } else {
                body = JsonNodeFactory.instance.objectNode();
                params = DashboardApi.queryParams(route, parameterNames(request),
                        name -> queryParameter(request, name));
            }
            Object result = route.handler().apply(new DashboardApi.Call(matcher, params, body, user));
            send(request, response, 200, result);
        } catch (NotFoundException e) {
            send(request, response, 404, Map.of("error", e.getMessage()));
        } catch (IllegalArgumentException e) {
            send(request, response, 400, Map.of("error", e.getMessage()));
        } catch (IllegalStateException e) {
            // the admin API's refusal of an action that the job's state no longer allows (a retry whose unique
            // key another job holds): its message names the job and the reason, never the SQL
            send(request, response, 409, Map.of("error", e.getMessage()));
        } catch (RuntimeException e) {
            if (!(e instanceof PgJobsException) && sqlCause(e) == null) {
                throw e;
            }
            LOG.warn("dashboard request {} {} failed", request.getMethod(), request.getRequestURI(), e);
            send(request, response, 503, Map.of("error", databaseFailure(e)));
        }
    }

    /**
     * A parameter of the query string, given at most once (the container would answer the first and drop the
     * others unread).
     */
    private static String queryParameter(HttpServletRequest request, String name) {
        String[] values = decoded(() -> request.getParameterValues(name));
        if (values != null && values.length > 1) {
            throw new IllegalArgumentException(name + ": given " + values.length + " times; give it once");
        }
        return values == null ? null : values[0];
    }

    /** The names of the query's parameters. */
    private static List<String> parameterNames(HttpServletRequest request) {
        return decoded(() -> Collections.list(request.getParameterNames()));
    }

    /**
     * What {@code read} reads of the query. The container decodes the query when it is first asked, and refuses
     * one that is not percent-encoded UTF-8 with an exception of its own (Jetty's is no IllegalArgumentException):
     * a 400 naming the query, not a 500.
     */
    private static <T> T decoded(Supplier<T> read) {
        try {
            return read.get();
        } catch (RuntimeException malformed) {
            throw new IllegalArgumentException("query: not a valid query string (percent-encoded UTF-8 name=value"
                    + " pairs joined by &)", malformed);
        }
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    /**
     * What the client learns of a database failure (the admin API's {@link PgJobsException}, or any exception
     * an {@link SQLException} caused): whether the statement timeout stopped it, nothing more (the
     * message would carry the SQL, PostgreSQL's text, and maybe host and user names).
     */
    private static String databaseFailure(RuntimeException e) {
        SQLException sql = sqlCause(e);
        if (sql != null && "57014".equals(sql.getSQLState())) {
            return "the database did not answer within the statement timeout; narrow the filter"
                    + " (a state, or a finished range, makes a search fast)";
        }
        return "the database failed (the server's log has the details)";
    }

    private void serveHealth(HttpServletRequest request, HttpServletResponse response, String method,
                             boolean authenticated, boolean liveness) throws IOException {
        if (!method.equals("GET")) {
            response.setHeader("Allow", allowed("GET"));
            send(request, response, 405, Map.of("error", "health probes take GET"));
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
        request.setAttribute(BODY_READ, true);
        if (bytes.length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("body: larger than " + MAX_BODY_BYTES + " bytes");
        }
        String text = utf8(bytes);
        if (text.isEmpty()) {
            return JsonNodeFactory.instance.objectNode();
        }
        try {
            JsonNode body = json.readTree(text);
            if (body == null || !body.isObject()) {
                throw new IllegalArgumentException("body: must be a JSON object");
            }
            return body;
        } catch (JsonProcessingException e) {
            // not Jackson's message, which names its own classes and limits, but for a field given twice its own
            // words, which name the field ("Duplicate field 'action'"), and for text after the object what it is
            String jackson = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            StreamReadConstraints limits = json.getFactory().streamReadConstraints();
            String what = jackson.startsWith("Duplicate field ")
                    ? ": a field given twice, " + jackson.substring("Duplicate field ".length())
                    : jackson.startsWith("Trailing token") ? ": more after the object, which would go unread"
                    : jackson.startsWith("Document nesting depth")
                    ? ": nested deeper than " + limits.getMaxNestingDepth() + " levels"
                    : jackson.startsWith("Number value length")
                    ? ": a number longer than " + limits.getMaxNumberLength() + " characters"
                    : jackson.startsWith("Name length")
                    ? ": a field name longer than " + limits.getMaxNameLength() + " characters" : "";
            throw new IllegalArgumentException("body: not valid JSON" + (e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")")
                    + what, e);
        }
    }

    /**
     * A body's text, which JSON between systems is in UTF-8 (RFC 8259): decoded strictly, so that a malformed
     * sequence, or a surrogate encoded on its own, is refused rather than read as U+FFFD or passed on to a column
     * that cannot hold it; and not guessed as UTF-16 or UTF-32 from its first bytes, as a JSON parser would. A
     * UTF-8 byte-order mark before it is skipped, as RFC 8259 (section 8.1) lets a parser do: some clients (.NET's,
     * PowerShell's, editors saving a file) write one; a UTF-16 or UTF-32 one is refused by name.
     */
    private static String utf8(byte[] bytes) {
        if (startsWith(bytes, 0xFE, 0xFF) || startsWith(bytes, 0xFF, 0xFE) || startsWith(bytes, 0, 0, 0xFE, 0xFF)) {
            throw new IllegalArgumentException("body: not UTF-8 (it starts with a UTF-16 or UTF-32 byte-order mark);"
                    + " send JSON in UTF-8");
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (startsWith(bytes, 0xEF, 0xBB, 0xBF)) {
            in.position(3);
        }
        CharBuffer out = CharBuffer.allocate(bytes.length);
        if (decoder.decode(in, out, true).isError() || decoder.flush(out).isError()) {
            throw new IllegalArgumentException("body: not UTF-8 (an invalid byte sequence at byte " + in.position() + ")");
        }
        return out.flip().toString();
    }

    private static boolean startsWith(byte[] bytes, int... prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The UI loads only its own files and is never framed, so injected markup could not run script anyway. */
    private static void securityHeaders(HttpServletResponse response) {
        response.setHeader("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "
                + "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("X-Frame-Options", "DENY");
    }

    /**
     * Answers with JSON. A request body the servlet did not read (a refused action, a 404) would be left in the
     * connection for the container to skip, and a container that cannot (the rest of it is still on its way)
     * closes the connection after the response; saying so in the response keeps a client from reusing it.
     */
    private void send(HttpServletRequest request, HttpServletResponse response, int status, Object body) throws IOException {
        boolean bodyLeft = (request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null)
                && request.getAttribute(BODY_READ) == null;
        if (bodyLeft) {
            response.setHeader("Connection", "close");
        }
        response.setStatus(status);
        response.setContentType("application/json;charset=utf-8");
        json.writeValue(response.getOutputStream(), body);
    }
}
