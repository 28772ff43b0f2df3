package io.pgjobs.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Requests to a dashboard over real HTTP as a named user (or nobody), for the API tests. */
final class HttpCalls {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    record Reply(int status, JsonNode body, HttpResponse<String> raw) {
        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    private final URI base;

    HttpCalls(URI base) {
        this.base = base;
    }

    HttpRequest.Builder request(String path, String user, String password) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path));
        if (user != null) {
            builder.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return builder;
    }

    static Reply send(HttpRequest request) throws Exception {
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode body = response.headers().firstValue("Content-Type").orElse("").startsWith("application/json")
                ? JSON.readTree(response.body()) : null;
        return new Reply(response.statusCode(), body, response);
    }

    Reply get(String path, String user, String password) throws Exception {
        return send(request(path, user, password).GET().build());
    }

    String token(String user, String password) throws Exception {
        return get("api/session", user, password).body().get("csrfToken").asText();
    }

    /** An action as {@code user}, with the CSRF token and {@code body} as JSON. */
    Reply post(String path, String user, String password, Object body) throws Exception {
        return postRaw(path, user, password, JSON.writeValueAsString(body));
    }

    Reply postRaw(String path, String user, String password, String body) throws Exception {
        return send(request(path, user, password).header("X-PgJobs-Csrf", token(user, password))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }
}
