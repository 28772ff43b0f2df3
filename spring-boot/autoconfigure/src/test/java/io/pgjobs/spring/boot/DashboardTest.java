package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.Principal;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The dashboard in the application's servlet container, under a configured path, its users and roles the
 * application's: here a filter stands in for the application's authentication (Spring Security answers
 * {@code getUserPrincipal} and {@code isUserInRole} the same way).
 */
@ExtendWith(TestDatabase.class)
@SpringBootTest(classes = {TestApplication.class, TestHandlers.class, DashboardTest.Authentication.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"pgjobs.queues.default=1", "pgjobs.dashboard.path=/ops/jobs"})
@DirtiesContext
class DashboardTest {
    @DynamicPropertySource
    static void dataSource(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry);
    }

    /** Authenticates a request as the user of its X-User header, with the roles of its X-Roles header. */
    @TestConfiguration(proxyBeanMethods = false)
    static class Authentication {
        @Bean
        Filter testAuthentication() {
            return (request, response, chain) -> {
                HttpServletRequest http = (HttpServletRequest) request;
                String user = http.getHeader("X-User");
                List<String> roles = List.of(String.valueOf(http.getHeader("X-Roles")).split(","));
                chain.doFilter(user == null ? request : new HttpServletRequestWrapper(http) {
                    @Override
                    public Principal getUserPrincipal() {
                        return () -> user;
                    }

                    @Override
                    public boolean isUserInRole(String role) {
                        return roles.contains(role);
                    }
                }, response);
            };
        }
    }

    @Value("${local.server.port}") int port;

    @Test
    void anOperatorMayAct() throws Exception {
        HttpResponse<String> session = get("/ops/jobs/api/session", "ada", "PGJOBS_OPERATOR");

        assertThat(session.statusCode()).isEqualTo(200);
        assertThat(session.body()).contains("\"user\":\"ada\"").contains("\"role\":\"operator\"");
    }

    @Test
    void aViewerMayLook() throws Exception {
        HttpResponse<String> session = get("/ops/jobs/api/session", "grace", "PGJOBS_VIEWER");

        assertThat(session.statusCode()).isEqualTo(200);
        assertThat(session.body()).contains("\"role\":\"viewer\"");
    }

    @Test
    void anonymousUsersAndUsersWithoutARoleAreRefused() throws Exception {
        assertThat(get("/ops/jobs/api/session", null, null).statusCode()).isEqualTo(401);
        assertThat(get("/ops/jobs/api/session", "mallory", "SALES").statusCode()).isEqualTo(401);
    }

    @Test
    void servesThePageUnderTheConfiguredPath() throws Exception {
        HttpResponse<String> page = get("/ops/jobs/", "ada", "PGJOBS_VIEWER");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
    }

    private HttpResponse<String> get(String path, String user, String roles) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
        if (user != null) {
            request.header("X-User", user).header("X-Roles", roles);
        }
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
