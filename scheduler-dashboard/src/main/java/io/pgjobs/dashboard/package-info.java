/**
 * pgjobs' web dashboard: {@link io.pgjobs.dashboard.DashboardServlet} serves the single-page UI (plain files
 * under {@code static/}) and its JSON API ({@code DashboardApi}) over {@link io.pgjobs.admin.AdminClient} only.
 * The host decides who the user is through {@link io.pgjobs.dashboard.DashboardAuth};
 * {@link io.pgjobs.dashboard.DashboardServer} runs it standalone on Jetty with {@link io.pgjobs.dashboard.BasicAuth}.
 * See docs/dashboard.md.
 */
package io.pgjobs.dashboard;
