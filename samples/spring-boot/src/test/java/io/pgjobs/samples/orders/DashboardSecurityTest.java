package io.pgjobs.samples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.Job;
import io.pgjobs.JobClient;
import io.pgjobs.JobState;
import io.pgjobs.Scheduler;
import io.pgjobs.samples.orders.Orders.ConfirmOrder;
import io.pgjobs.test.PgJobsTestKit;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.web.client.RestClient;

/**
 * The sample's dashboard behind its Spring Security configuration, over HTTP as a browser or a script reaches it:
 * the operator cancels and retries an order's confirmation with the dashboard's CSRF token, an action without
 * the token is refused, the viewer may look but not act, a stranger is not let in, and placing an order needs
 * no login (the README's curl). The kit holds the jobs, so the confirmation waits where the dashboard acts on it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class DashboardSecurityTest {
    private static final String OPERATOR = "ada";
    private static final String OPERATOR_PASSWORD = "operator-pw";
    private static final String VIEWER = "grace";
    private static final String VIEWER_PASSWORD = "viewer-pw";

    @Autowired Scheduler scheduler;
    @Autowired DataSource dataSource;
    @Autowired JobClient jobs;
    @Autowired JdbcTemplate jdbc;
    @Value("${local.server.port}") int port;
    PgJobsTestKit kit;

    @BeforeEach
    void holdJobs() {
        kit = PgJobsTestKit.of(scheduler, dataSource, "pgjobs");
        kit.holdJobs();
    }

    @Test
    void theOperatorCancelsAndRetriesAConfirmationWithTheDashboardsToken() {
        long order = placeOrder();
        long confirmation = confirmationOf(order);
        String token = csrfToken(OPERATOR, OPERATOR_PASSWORD);

        assertThat(act("cancel", confirmation, OPERATOR, OPERATOR_PASSWORD, token).getStatusCode().value())
                .isEqualTo(200);
        assertThat(state(confirmation)).isEqualTo(JobState.CANCELLED);

        assertThat(act("retry", confirmation, OPERATOR, OPERATOR_PASSWORD, token).getStatusCode().value())
                .isEqualTo(200);
        kit.drain();
        assertThat(state(confirmation)).isEqualTo(JobState.COMPLETED);
        assertThat(jdbc.queryForObject("select confirmed_at is not null from orders where id = ?", Boolean.class,
                order)).isTrue();
    }

    @Test
    void anActionWithoutTheDashboardsTokenIsRefused() {
        long confirmation = confirmationOf(placeOrder());

        ResponseEntity<String> cancel = act("cancel", confirmation, OPERATOR, OPERATOR_PASSWORD, null);

        assertThat(cancel.getStatusCode().value()).isEqualTo(403);
        assertThat(cancel.getBody()).contains("X-PgJobs-Csrf");
        assertThat(state(confirmation)).isEqualTo(JobState.AVAILABLE);
    }

    @Test
    void theViewerLooksButMayNotActAndStrangersAreNotLetIn() {
        long confirmation = confirmationOf(placeOrder());

        ResponseEntity<String> job = http(VIEWER, VIEWER_PASSWORD).get().uri("/pgjobs/api/jobs/{id}", confirmation)
                .retrieve().onStatus(status -> true, (request, response) -> { }).toEntity(String.class);
        assertThat(job.getStatusCode().value()).isEqualTo(200);
        assertThat(job.getBody()).contains("orders.confirm");

        assertThat(act("cancel", confirmation, VIEWER, VIEWER_PASSWORD, csrfToken(VIEWER, VIEWER_PASSWORD))
                .getStatusCode().value()).isEqualTo(403);
        assertThat(act("cancel", confirmation, OPERATOR, "not the password", null).getStatusCode().value())
                .isEqualTo(401);
        assertThat(state(confirmation)).isEqualTo(JobState.AVAILABLE);
    }

    /** Places an order as the README does: a POST without a login or a CSRF token. */
    private long placeOrder() {
        Map<String, Long> placed = RestClient.create("http://localhost:" + port).post()
                .uri("/orders?customer={customer}&cents={cents}", "ada", 1250).retrieve()
                .body(new ParameterizedTypeReference<>() {});
        return placed.get("id");
    }

    private long confirmationOf(long order) {
        return kit.assertEnqueued(ConfirmOrder.class, args -> args.orderId() == order).id();
    }

    private JobState state(long jobId) {
        return jobs.get(jobId).map(Job::state).orElseThrow();
    }

    /** The dashboard's CSRF token for the user's session, from GET api/session. */
    private String csrfToken(String user, String password) {
        Map<String, Object> session = http(user, password).get().uri("/pgjobs/api/session").retrieve()
                .body(new ParameterizedTypeReference<>() {});
        return (String) session.get("csrfToken");
    }

    private ResponseEntity<String> act(String action, long jobId, String user, String password, String token) {
        RestClient.RequestBodySpec request = http(user, password).post()
                .uri("/pgjobs/api/jobs/{id}/{action}", jobId, action);
        if (token != null) {
            request.header("X-PgJobs-Csrf", token);
        }
        return request.retrieve().onStatus(status -> true, (req, response) -> { }).toEntity(String.class);
    }

    private RestClient http(String user, String password) {
        return RestClient.builder().baseUrl("http://localhost:" + port)
                .defaultHeaders(headers -> headers.setBasicAuth(user, password)).build();
    }
}
