package io.pgjobs.spring.boot;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** The dashboard's settings under {@code pgjobs.dashboard.*}, used when scheduler-dashboard is on the classpath. */
@ConfigurationProperties("pgjobs.dashboard")
public class PgJobsDashboardProperties {
    /** Settings with the defaults, which Spring Boot binds {@code pgjobs.dashboard.*} onto. */
    public PgJobsDashboardProperties() {
    }

    /** Whether to serve the dashboard in a servlet web application that has scheduler-dashboard. */
    private boolean enabled = true;

    /** Where the dashboard is served: a path starting with '/', without a trailing '/'. */
    private String path = "/pgjobs";

    /**
     * The role whose users may act (retry, cancel, pause...): checked with
     * {@code HttpServletRequest.isUserInRole}, so with Spring Security the authority {@code ROLE_<role>}.
     */
    private String operatorRole = "PGJOBS_OPERATOR";

    /** The role whose users may look but not act; authenticated users with neither role are refused. */
    private String viewerRole = "PGJOBS_VIEWER";

    /** {@return whether to serve the dashboard in a servlet web application} */
    public boolean isEnabled() { return enabled; }
    /**
     * Sets {@link #isEnabled()}.
     *
     * @param enabled the new value
     */
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
    /** {@return where the dashboard is served: a path starting with '/', without a trailing '/'} */
    public String getPath() { return path; }
    /**
     * Sets {@link #getPath()}.
     *
     * @param path the new value
     */
    public void setPath(String path) { this.path = path; }
    /** {@return the role whose users may act (retry, cancel, pause...)} */
    public String getOperatorRole() { return operatorRole; }
    /**
     * Sets {@link #getOperatorRole()}.
     *
     * @param operatorRole the new value
     */
    public void setOperatorRole(String operatorRole) { this.operatorRole = operatorRole; }
    /** {@return the role whose users may look but not act} */
    public String getViewerRole() { return viewerRole; }
    /**
     * Sets {@link #getViewerRole()}.
     *
     * @param viewerRole the new value
     */
    public void setViewerRole(String viewerRole) { this.viewerRole = viewerRole; }
}
