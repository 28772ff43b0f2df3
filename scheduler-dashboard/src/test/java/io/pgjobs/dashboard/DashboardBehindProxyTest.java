package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.dashboard.HttpCalls.Reply;
import io.pgjobs.testing.PgDatabase;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The standalone server behind a TLS-terminating proxy: a forwarding server in front that, as nginx or a cloud
 * load balancer would, passes each request on with X-Forwarded-Proto, -Host, -Port and -For, while the browser's
 * Origin names the public https address.
 */
class DashboardBehindProxyTest {
    @RegisterExtension
    static final PgDatabase db = new PgDatabase();

    private static final String PUBLIC_ORIGIN = "https://jobs.example.com";
    /** Headers the JDK's client sets itself and refuses to be given. */
    private static final Set<String> RESTRICTED = Set.of("host", "connection", "content-length", "expect", "upgrade");
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private static Scheduler scheduler;

    @BeforeAll
    static void start() {
        scheduler = Scheduler.builder(db.dataSource()).build();
    }

    @AfterAll
    static void stop() {
        scheduler.close();
    }

    /** A reverse proxy on a free port that forwards everything to {@code target}, saying where it came from. */
    private static HttpServer proxyTo(URI target) throws IOException {
        HttpServer proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        proxy.createContext("/", exchange -> forward(exchange, target));
        proxy.start();
        return proxy;
    }

    private static void forward(HttpExchange exchange, URI target) throws IOException {
        try (exchange) {
            HttpRequest.Builder request = HttpRequest.newBuilder(target.resolve(exchange.getRequestURI().toString()))
                    .method(exchange.getRequestMethod(),
                            HttpRequest.BodyPublishers.ofByteArray(exchange.getRequestBody().readAllBytes()));
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (!RESTRICTED.contains(name.toLowerCase())) {
                    values.forEach(value -> request.header(name, value));
                }
            });
            request.header("X-Forwarded-Proto", "https").header("X-Forwarded-Host", "jobs.example.com")
                    .header("X-Forwarded-Port", "443")
                    .header("X-Forwarded-For", exchange.getRemoteAddress().getAddress().getHostAddress());
            HttpResponse<byte[]> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            response.headers().map().forEach((name, values) -> {
                if (!RESTRICTED.contains(name.toLowerCase()) && !name.equalsIgnoreCase("transfer-encoding")) {
                    exchange.getResponseHeaders().put(name, values);
                }
            });
            exchange.sendResponseHeaders(response.statusCode(), response.body().length == 0 ? -1 : response.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while forwarding", e);
        }
    }

    /** Cancels a fresh job through the proxy as the browser on the public origin would; the reply. */
    private static Reply cancelThroughProxy(boolean trustProxyHeaders, String origin) throws Exception {
        long id = scheduler.client().enqueue(JobRequest.of("test.proxy", Map.of("n", 1))).id();
        try (DashboardServer dashboard = DashboardServer.start(new DashboardServlet(scheduler,
                BasicAuth.parse("olga:op-pw:operator")), "127.0.0.1", 0, "/jobs", trustProxyHeaders)) {
            HttpServer proxy = proxyTo(dashboard.uri());
            try {
                HttpCalls http = new HttpCalls(URI.create("http://127.0.0.1:" + proxy.getAddress().getPort() + "/jobs/"));
                String token = http.token("olga", "op-pw");
                return HttpCalls.send(http.request("api/jobs/" + id + "/cancel", "olga", "op-pw")
                        .header("X-PgJobs-Csrf", token).header("Origin", origin).header("Sec-Fetch-Site", "same-origin")
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
            } finally {
                proxy.stop(0);
            }
        }
    }

    @Test
    void byDefaultTheForwardedHeadersAreNotTrustedAndTheBrowsersOriginLooksForeign() throws Exception {
        Reply refused = cancelThroughProxy(false, PUBLIC_ORIGIN);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body().get("error").asText()).contains("cross-origin");
    }

    @Test
    void trustingTheProxyAcceptsActionsFromThePublicOriginOnly() throws Exception {
        Reply accepted = cancelThroughProxy(true, PUBLIC_ORIGIN);
        assertThat(accepted.status()).isEqualTo(200);
        assertThat(accepted.body().get("changed").asBoolean()).isTrue();

        Reply forged = cancelThroughProxy(true, "https://evil.example");
        assertThat(forged.status()).isEqualTo(403);
        assertThat(forged.body().get("error").asText()).contains("cross-origin");
    }
}
