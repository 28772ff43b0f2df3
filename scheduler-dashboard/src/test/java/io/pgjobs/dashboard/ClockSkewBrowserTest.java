package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.dashboard.DashboardFixture.Fixture;
import io.pgjobs.testing.PgDatabase;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chromium.HasCdp;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The dashboard in a browser whose clock is two days ahead: its date presets and "ago" times count from the
 * database's time (api/clock), as every time in pgjobs does, and the schedules page says when the schedules' clock
 * was moved away from it.
 */
class ClockSkewBrowserTest {
    private static final long HOUR_MS = 3_600_000;
    /** Runs before the page's scripts: every "now" of the page (new Date(), Date.now()) is two days ahead. */
    private static final String TWO_DAYS_AHEAD = """
            (() => {
              const skew = 2 * 86400e3, Real = Date;
              class Skewed extends Real {
                constructor(...args) { if (args.length) super(...args); else super(Real.now() + skew); }
                static now() { return Real.now() + skew; }
              }
              globalThis.Date = Skewed;
            })();
            """;

    @RegisterExtension
    static final DashboardFixture dashboard = DashboardFixture.signedInAsOperator("/").inChromium()
            .truncatingBeforeEach("pgjobs.jobs, pgjobs.attempts, pgjobs.schedules, pgjobs.schedule_runs");
    @Fixture private static PgDatabase db;
    @Fixture private static Scheduler scheduler;
    @Fixture private static DashboardServer server;
    @Fixture private static WebDriver browser;

    private static long databaseMillis() throws Exception {
        return db.queryLong("select (extract(epoch from clock_timestamp()) * 1000)::bigint");
    }

    private static Instant presetFrom(String field) throws Exception {
        Matcher from = Pattern.compile(field + "=([^&]+)").matcher(URI.create(browser.getCurrentUrl()).getRawFragment());
        assertThat(from.find()).as(browser.getCurrentUrl()).isTrue();
        return Instant.parse(URLDecoder.decode(from.group(1), StandardCharsets.UTF_8));
    }

    @Test
    void presetsAndAgesCountFromTheDatabasesTimeNotTheBrowsers() throws Exception {
        ((HasCdp) browser).executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.<String, Object>of("source", TWO_DAYS_AHEAD));
        long job = scheduler.client().enqueue(JobRequest.of("test.clock", Map.of("n", 1)).queue("idle")).id();
        // a new document (not a move of the hash, which keeps the page and its clock)
        browser.get("about:blank");
        browser.get(server.uri() + "#/jobs");
        dashboard.waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + job + "']")));
        long browserAhead = (Long) ((JavascriptExecutor) browser).executeScript("return Date.now()") - databaseMillis();
        assertThat(browserAhead).as("the browser's clock is skewed").isGreaterThan(47 * HOUR_MS);

        long before = databaseMillis();
        dashboard.click(By.cssSelector("[data-preset='createdFrom:last hour']"));
        dashboard.waiting().until(d -> d.getCurrentUrl().contains("createdFrom="));
        long after = databaseMillis();
        // an hour before the database's now when clicked, give or take the round trip that measured the offset
        // (far less than the ten minutes allowed; the browser's own clock is two days off)
        assertThat(presetFrom("createdFrom").toEpochMilli())
                .isBetween(before - HOUR_MS - 600_000, after - HOUR_MS + 600_000);
        dashboard.waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + job + "']")));
        // the job was created a moment ago by the database's clock, not two days ago
        dashboard.waiting().ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> d.findElement(
                By.cssSelector("tr[data-job='" + job + "'] td:nth-child(8)")).getText().matches("\\d+[sm] ago"));

        dashboard.click(By.cssSelector("[data-preset='finishedFrom:today']"));
        dashboard.waiting().until(d -> d.getCurrentUrl().contains("finishedFrom="));
        // midnight in the browser's zone of the database's day (of when it was clicked, which may have passed midnight)
        ZoneId zone = ZoneId.of((String) ((JavascriptExecutor) browser)
                .executeScript("return Intl.DateTimeFormat().resolvedOptions().timeZone"));
        Instant midnightBefore = Instant.ofEpochMilli(after).atZone(zone).truncatedTo(ChronoUnit.DAYS).toInstant();
        Instant midnightAfter = Instant.ofEpochMilli(databaseMillis()).atZone(zone).truncatedTo(ChronoUnit.DAYS).toInstant();
        assertThat(presetFrom("finishedFrom")).isIn(midnightBefore, midnightAfter);
        dashboard.screenshot("clock-skew-jobs");
    }

    @Test
    void theSchedulesPageSaysWhenTheSchedulesClockIsNotTheDatabases() throws Exception {
        db.execute("insert into pgjobs.schedules (name, expression, kind) values ('hourly', '0 * * * *', 'test.clock')");
        browser.get(server.uri() + "#/schedules");
        dashboard.waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-schedule-clock=database]")));
        // what a test kit run against this database leaves behind (docs/testing.md)
        db.execute("create or replace function pgjobs.schedule_clock() returns timestamptz language sql stable"
                + " as $$ select now() + interval '3 hours' $$");
        try {
            browser.get(server.uri() + "#/nodes");
            browser.get(server.uri() + "#/schedules");
            dashboard.waiting().until(ExpectedConditions.textToBePresentInElementLocated(
                    By.cssSelector("[data-schedule-clock=moved]"), "3.0 h ahead of the database's time: schedules fire that much early"));
            dashboard.screenshot("schedules-clock-moved");
        } finally {
            db.execute("create or replace function pgjobs.schedule_clock() returns timestamptz language sql stable"
                    + " parallel safe as $$ select now() $$");
        }
    }
}
