package io.pgjobs.spring.boot;

import io.pgjobs.Scheduler;
import io.pgjobs.dashboard.DashboardAuth;
import io.pgjobs.dashboard.DashboardServlet;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * pgjobs' dashboard in the application's servlet container, under {@code pgjobs.dashboard.path}, when
 * scheduler-dashboard is on the classpath. Its users come from the application's authentication
 * ({@link ServletRoleAuth}), or from a {@link DashboardAuth} bean of the application's own.
 */
@AutoConfiguration(after = PgJobsAutoConfiguration.class)
@ConditionalOnClass(DashboardServlet.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBean(Scheduler.class)
@ConditionalOnProperty(name = "pgjobs.dashboard.enabled", matchIfMissing = true)
@EnableConfigurationProperties(PgJobsDashboardProperties.class)
public class PgJobsDashboardAutoConfiguration {
    /** Created by Spring Boot when the auto-configuration applies. */
    public PgJobsDashboardAutoConfiguration() {
    }

    /**
     * Who the dashboard's users are: the servlet request's roles, as {@code pgjobs.dashboard.*-role} name them;
     * unless the application declares its own.
     *
     * @param properties the {@code pgjobs.dashboard.*} properties
     * @return the authentication hook
     */
    @Bean
    @ConditionalOnMissingBean
    public DashboardAuth pgjobsDashboardAuth(PgJobsDashboardProperties properties) {
        return new ServletRoleAuth(properties.getOperatorRole(), properties.getViewerRole());
    }

    /**
     * The dashboard servlet, registered under {@code pgjobs.dashboard.path}.
     *
     * @param scheduler the scheduler
     * @param auth who the users are
     * @param properties the {@code pgjobs.dashboard.*} properties
     * @return the registration
     */
    @Bean
    public ServletRegistrationBean<DashboardServlet> pgjobsDashboard(Scheduler scheduler, DashboardAuth auth,
                                                                     PgJobsDashboardProperties properties) {
        String path = properties.getPath();
        if (path == null || !path.startsWith("/") || path.endsWith("/") || path.contains("*")) {
            throw new IllegalArgumentException("pgjobs.dashboard.path: '" + path + "' must start with '/' and "
                    + "end without '/' or '*', e.g. /pgjobs");
        }
        ServletRegistrationBean<DashboardServlet> registration =
                new ServletRegistrationBean<>(new DashboardServlet(scheduler, auth), path + "/*");
        registration.setName("pgjobsDashboard");
        return registration;
    }
}
