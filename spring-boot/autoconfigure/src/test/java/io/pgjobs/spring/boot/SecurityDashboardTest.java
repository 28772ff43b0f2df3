package io.pgjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobClient;
import io.pgjobs.JobKind;
import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.NonRetryableException;
import io.pgjobs.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The dashboard behind Spring Security, configured as docs/spring-boot.md shows, with Spring's CSRF protection
 * on for the rest of the application: a logged-in operator's action with the dashboard's token works, one
 * without it is refused, a viewer's is refused, and the application's own POST without Spring's token is
 * refused. Boot 4 only: spring-boot/boot3-test has no Spring Security.
 */
@ExtendWith(TestDatabase.class)
@SpringBootTest(classes = {TestApplication.class, TestHandlers.class, SecurityDashboardTest.Security.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "pgjobs.queues.default=1")
@DirtiesContext
class SecurityDashboardTest {
    private static final Pattern CSRF_TOKEN = Pattern.compile("\"csrfToken\":\"([^\"]+)\"");

    @DynamicPropertySource
    static void dataSource(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry);
    }

    @JobKind("security.refused")
    record Refused() {}

    @TestConfiguration(proxyBeanMethods = false)
    @EnableWebSecurity
    static class Security {
        @Bean
        SecurityFilterChain filterChain(HttpSecurity http) throws Exception {
            http.authorizeHttpRequests(auth -> auth
                    .requestMatchers("/pgjobs/**").hasAnyRole("PGJOBS_OPERATOR", "PGJOBS_VIEWER")
                    .anyRequest().authenticated())
                .csrf(csrf -> csrf.ignoringRequestMatchers("/pgjobs/**"))
                .httpBasic(Customizer.withDefaults());
            return http.build();
        }

        @Bean
        UserDetailsService users() {
            return new InMemoryUserDetailsManager(
                    User.withUsername("ada").password("{noop}ada-pw").roles("PGJOBS_OPERATOR").build(),
                    User.withUsername("grace").password("{noop}grace-pw").roles("PGJOBS_VIEWER").build());
        }

        @Bean
        RefundController refundController() {
            return new RefundController();
        }
    }

    /** An endpoint of the application's own, under Spring's CSRF protection. */
    @RestController
    static class RefundController {
        @PostMapping("/refunds")
        String refund() {
            return "refunded";
        }
    }

    @Autowired JobClient jobs;
    @Value("${local.server.port}") int port;

    @Test
    void anOperatorsActionWithTheDashboardsTokenIsDone() throws Exception {
        long id = cancelledJob();
        String token = csrfToken("ada", "ada-pw");

        HttpResponse<String> retry = post("/pgjobs/api/jobs/" + id + "/retry", "ada", "ada-pw", token);

        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
        assertThat(jobs.get(id).orElseThrow().state()).isEqualTo(JobState.AVAILABLE);
    }

    @Test
    void anOperatorsActionWithoutTheTokenIsRefused() throws Exception {
        long id = cancelledJob();

        HttpResponse<String> retry = post("/pgjobs/api/jobs/" + id + "/retry", "ada", "ada-pw", null);

        assertThat(retry.statusCode()).isEqualTo(403);
        assertThat(retry.body()).contains("X-PgJobs-Csrf");
        assertThat(jobs.get(id).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void aViewersActionIsRefusedAndStrangersAreNotLetIn() throws Exception {
        long id = cancelledJob();

        assertThat(post("/pgjobs/api/jobs/" + id + "/retry", "grace", "grace-pw", csrfToken("grace", "grace-pw"))
                .statusCode()).isEqualTo(403);
        assertThat(post("/pgjobs/api/jobs/" + id + "/retry", "ada", "wrong", null).statusCode()).isEqualTo(401);
        assertThat(jobs.get(id).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void theApplicationsOwnPostsStillNeedSpringsCsrfToken() throws Exception {
        assertThat(post("/refunds", "ada", "ada-pw", null).statusCode()).isEqualTo(403);
    }

    /** A cancelled job in a queue nobody works: a retry makes it available again, and nothing runs it. */
    private long cancelledJob() throws Exception {
        long id = jobs.enqueue(JobRequest.of(new Refused()).queue("nowhere")).id();
        assertThat(jobs.cancel(id)).isTrue();
        Await.until(Duration.ofSeconds(30), "the job is cancelled",
                () -> jobs.get(id).orElseThrow().state() == JobState.CANCELLED);
        return id;
    }

    private String csrfToken(String user, String password) throws Exception {
        HttpResponse<String> session = send(HttpRequest.newBuilder(uri("/pgjobs/api/session")).GET(), user, password);
        assertThat(session.statusCode()).as(session.body()).isEqualTo(200);
        Matcher token = CSRF_TOKEN.matcher(session.body());
        assertThat(token.find()).as(session.body()).isTrue();
        return token.group(1);
    }

    private HttpResponse<String> post(String path, String user, String password, String dashboardToken)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody());
        if (dashboardToken != null) {
            request.header("X-PgJobs-Csrf", dashboardToken);
        }
        return send(request, user, password);
    }

    private HttpResponse<String> send(HttpRequest.Builder request, String user, String password) throws Exception {
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(request.header("Authorization", "Basic " + basic).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }
}
