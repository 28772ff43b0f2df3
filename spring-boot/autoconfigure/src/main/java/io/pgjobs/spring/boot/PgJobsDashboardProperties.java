package io.pgjobs.spring.boot;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** The dashboard's settings under {@code pgjobs.dashboard.*}, used when scheduler-dashboard is on the classpath. */
@ConfigurationProperties("pgjobs.dashboard")
public class PgJobsDashboardProperties {
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

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }
    public String getOperatorRole() { return operatorRole; }
    public void setOperatorRole(String operatorRole) { this.operatorRole = operatorRole; }
    public String getViewerRole() { return viewerRole; }
    public void setViewerRole(String viewerRole) { this.viewerRole = viewerRole; }
}
