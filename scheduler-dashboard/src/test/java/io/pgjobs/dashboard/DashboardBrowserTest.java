package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgjobs.JobRequest;
import io.pgjobs.JobState;
import io.pgjobs.NonRetryableException;
import io.pgjobs.Scheduler;
import io.pgjobs.Workflow;
import io.pgjobs.WorkflowStatus;
import io.pgjobs.dashboard.DashboardFixture.Fixture;
import io.pgjobs.testing.Await;
import io.pgjobs.testing.PgDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.ElementNotInteractableException;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium (the system's chromium and chromedriver; skipped where they are
 * missing): overview, filter to dead letters, open one, retry it and watch it complete under a real scheduler.
 * Writes a screenshot of every page to target/screenshots/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
    private static final String XSS = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>";

    // the host decides who the user is: here everyone is an operator, through the embedding hook
    @RegisterExtension
    static final DashboardFixture dashboard = DashboardFixture.signedInAsOperator("/jobs").started().inChromium()
            .scheduler(builder -> builder.queue("default", 4).queue("reports", 2)
                .pollInterval(Duration.ofMillis(200))
                .handler("payment.capture", Map.class, ctx -> {
                    if (ctx.attempt() == 1) {
                        throw new NonRetryableException("gateway answered 503 for order " + ctx.args().get("order"));
                    }
                    return Map.of("captured", true);
                })
                .handler("hostile", Map.class, ctx -> {
                    throw new NonRetryableException(XSS);
                })
                .handler("report.build", Map.class, ctx -> null));
    @Fixture private static PgDatabase db;
    @Fixture private static Scheduler scheduler;
    @Fixture private static DashboardServer server;
    @Fixture private static WebDriver browser;

    private static WebDriverWait waiting() {
        return dashboard.waiting();
    }

    private static void open(String hash) {
        browser.get(server.uri() + "#/" + hash);
    }

    private static void click(By locator) {
        dashboard.click(locator);
    }

    private static void screenshot(String name) throws Exception {
        dashboard.screenshot(name);
    }

    /*
     * A live refresh redraws the page every few seconds, replacing every element of it: an element found before
     * one is stale after it. So each step below finds its element as it acts or reads, and does it again if a
     * refresh came in between; under load the gap between finding and using is wide enough for one.
     */

    /** What {@code read} reads off the page (null for nothing), again if a live refresh redrew it meanwhile. */
    private static <T> T read(java.util.function.Function<WebDriver, T> read) {
        return waiting().ignoring(StaleElementReferenceException.class)
                .until(d -> java.util.Optional.ofNullable(read.apply(d))).orElse(null);
    }

    private static String text(By locator) {
        return read(d -> d.findElement(locator).getText());
    }

    private static String property(By locator, String name) {
        return read(d -> d.findElement(locator).getDomProperty(name));
    }

    private static String attribute(By locator, String name) {
        return read(d -> d.findElement(locator).getDomAttribute(name));
    }

    /**
     * Replaces what the field {@code locator} finds holds with {@code keys}, in full again if a live refresh
     * redrew the field meanwhile (keeping what was typed so far: typing on would add to it), or if the page has
     * the field before it takes keys.
     */
    private static void type(By locator, CharSequence... keys) {
        waiting().ignoring(StaleElementReferenceException.class, ElementNotInteractableException.class).until(d -> {
            WebElement field = d.findElement(locator);
            field.sendKeys(Keys.chord(Keys.CONTROL, "a"));
            field.sendKeys(keys);
            return true;
        });
    }

    @Test
    @Order(1)
    void filtersToDeadLettersRetriesOneAndSeesItComplete() throws Exception {
        for (int i = 0; i < 30; i++) {
            scheduler.client().enqueue(JobRequest.of("report.build", Map.of("report", "daily-" + i)).queue("reports"));
        }
        long failing = scheduler.client().enqueue(JobRequest.of("payment.capture",
                Map.of("order", 17, "card_token", "tok_secret_4242")).tags("checkout")).id();
        Await.until(Duration.ofSeconds(20), "the payment job is discarded",
                () -> scheduler.client().get(failing).orElseThrow().state() == JobState.DISCARDED);

        Await.until(Duration.ofSeconds(20), "the scheduler leads", scheduler::isLeader);

        open("");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-count=discarded]")));
        waiting().ignoring(StaleElementReferenceException.class)
                .until(d -> !d.findElement(By.cssSelector("[data-count=discarded]")).getText().equals("0"));
        assertThat(browser.findElements(By.cssSelector("tr[data-queue]"))).hasSize(2);
        // the heartbeat writes the leader mark on its next round; the page shows it on a refresh
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-leader='" + scheduler.nodeId() + "'] .badge.s-leader")));
        assertThat(text(By.cssSelector("[data-check=database] .badge"))).isEqualTo("up");
        assertThat(text(By.cssSelector("[data-check=node] .badge"))).isEqualTo("up");
        assertThat(text(By.cssSelector("[data-check='queue:reports']"))).contains("due jobs");
        // the leader samples every queue's lag at once when it is elected; the chart draws a line per queue
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-chart=lag] svg path[data-line=reports]")));
        assertThat(text(By.cssSelector("[data-chart=lag] .legend"))).contains("reports", "default");
        screenshot("overview");

        click(By.cssSelector("a.card[href='#/jobs?state=discarded']"));
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + failing + "']")));
        // read in one go, again if a live refresh redrew the rows in between
        List<String> states = waiting().ignoring(StaleElementReferenceException.class).until(d ->
                d.findElements(By.cssSelector("tbody tr[data-job]")).stream()
                        .map(row -> row.findElement(By.cssSelector(".badge")).getText()).toList());
        assertThat(states).allSatisfy(state -> assertThat(state).isEqualTo("discarded"));
        screenshot("jobs-discarded");

        click(By.cssSelector("tr[data-job='" + failing + "'] a"));
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), "Job " + failing));
        assertThat(browser.getPageSource()).doesNotContain("tok_secret_4242").contains("[redacted]");
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("gateway answered 503 for order 17");
        screenshot("job-discarded");

        click(By.xpath("//button[text()='Retry now']"));
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("h1 .badge"), "completed"));
        assertThat(scheduler.client().get(failing).orElseThrow().state()).isEqualTo(JobState.COMPLETED);
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("\"captured\": true");
        screenshot("job-completed");

        open("jobs?queue=reports&state=completed");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tbody tr[data-job]")));
        click(By.xpath("//button[text()='delete all matching…']"));
        waiting().until(ExpectedConditions.alertIsPresent());
        assertThat(browser.switchTo().alert().getText()).contains("delete 30 job(s) matching the filter?");
        browser.switchTo().alert().accept();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-progress]"),
                "30 / 30 processed, 30 changed"));
        screenshot("jobs-bulk-delete");
        assertThat(db.queryLong("select count(*) from pgjobs.jobs where queue = 'reports'")).isZero();

        open("audit");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"), "job:" + failing));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("browser-test").contains("retry")
                .contains("bulk_delete");
        screenshot("audit");
    }

    @Test
    @Order(2)
    void rendersHostileArgsAndErrorsAsText() throws Exception {
        long hostile = scheduler.client().enqueue(JobRequest.of("hostile", Map.of("note", XSS, XSS, "key"))).id();
        Await.until(Duration.ofSeconds(20), "the hostile job is discarded",
                () -> scheduler.client().get(hostile).orElseThrow().state() == JobState.DISCARDED);
        for (String page : new String[] {"jobs/" + hostile, "jobs?state=discarded", "dead-letters"}) {
            open(page);
            waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"), "<script>window.pwned="));
            assertThat(((JavascriptExecutor) browser).executeScript("return window.pwned === undefined")).as(page).isEqualTo(true);
            assertThat(browser.findElements(By.cssSelector("main img, main script"))).as(page).isEmpty();
        }
        open("jobs/" + hostile);
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"), "<script>window.pwned="));
        screenshot("job-hostile");
    }

    /** Runs last, so that the pages show the jobs, dead letters and audit entries of the tests before. */
    @Test
    @Order(3)
    void everyOtherPageRenders() throws Exception {
        db.execute("insert into pgjobs.schedules (name, expression, time_zone, kind, args) values "
                + "('nightly-report', '30 2 * * *', 'Europe/Lisbon', 'report.build', '{\"report\": \"nightly\"}'), "
                + "('every-5-minutes', '*/5 * * * *', 'UTC', 'report.build', '{}')");
        // the running scheduler registers itself; a node that stopped long ago is added beside it
        db.execute("insert into pgjobs.nodes (id, host, pid, version, queues, kinds) values "
                + "('app-2-old', 'app-2', 17, '0.1.0', '{default}', '{}')");
        db.execute("update pgjobs.nodes set heartbeat_at = now() - interval '10 minutes', stopped_at = now() where id = 'app-2-old'");
        Map<String, String> titles = Map.of("queues", "Queues", "dead-letters", "Dead letters", "schedules", "Schedules",
                "nodes", "Nodes", "jobs", "Jobs");
        for (var page : titles.entrySet()) {
            open(page.getKey());
            waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), page.getValue()));
            waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("main table, main .empty")));
            assertThat(browser.findElement(By.tagName("main")).getText()).doesNotContain("Could not load");
            screenshot(page.getKey());
        }
        open("jobs");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"), "payment.capture"));
        open("nodes");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"), "app-2-old"));
        assertThat(browser.findElements(By.cssSelector("main .badge.s-dead"))).hasSize(1);
        assertThat(text(By.xpath("//tr[td[text()='" + scheduler.nodeId() + "']]"))).contains("leader", "since");
        open("schedules");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"), "nightly-report"));
        click(By.xpath("//tr[td[text()='nightly-report']]//button[text()='Pause']"));
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.xpath("//tr[td[text()='nightly-report']]//button[text()='Resume']")));
        assertThat(db.queryLong("select count(*) from pgjobs.schedules where name = 'nightly-report' and not enabled")).isEqualTo(1);

        // a triggered job shows among the schedule's recent runs, completes there, and links to its page
        click(By.xpath("//tr[td[text()='every-5-minutes']]//button[text()='Trigger now']"));
        long run = waitForRun("every-5-minutes");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("tr[data-schedule='every-5-minutes'] li[data-run='" + run + "'] .badge"), "completed"));
        assertThat(text(By.cssSelector("li[data-run='" + run + "']"))).contains("#" + run, "manual");
        screenshot("schedules-runs");
        click(By.cssSelector("li[data-run='" + run + "'] a"));
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), "Job " + run));
    }

    /** The job id of the schedule's newest run, once the Schedules page lists one (a live refresh may redraw it). */
    private static long waitForRun(String schedule) {
        return waiting().ignoring(StaleElementReferenceException.class).until(d -> Long.parseLong(
                d.findElement(By.cssSelector("tr[data-schedule='" + schedule + "'] li[data-run]")).getDomAttribute("data-run")));
    }

    @Test
    @Order(4)
    void aSearchThatStopsAtItsBoundOffersToSearchOlderJobsUntilThereAreNoMore() throws Exception {
        long needle = scheduler.client().enqueue(JobRequest.of("report.build", Map.of("needle", 1)).queue("reports")).id();
        // a gap wider than one search window, as if 150,000 jobs had been enqueued and deleted
        db.execute("select setval(pg_get_serial_sequence('pgjobs.jobs', 'id'), " + (needle + 150_000) + ")");
        long newest = scheduler.client().enqueue(JobRequest.of("report.build", Map.of("needle", 2)).queue("reports")).id();

        open("jobs?args=needle%20%3D%201");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-searched]")));
        assertThat(text(By.cssSelector("[data-searched]")))
                .isEqualTo("Searched jobs down to #" + (newest + 1 - 100_000));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("No jobs match among those searched.");
        screenshot("jobs-search-partial");

        click(By.cssSelector("button[data-next]"));
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tbody tr[data-job='" + needle + "']")));
        assertThat(text(By.cssSelector("[data-end]"))).isEqualTo("No more jobs.");
        assertThat(browser.findElements(By.cssSelector("[data-searched]"))).isEmpty();
        screenshot("jobs-search-older");
    }

    private static Object script(String js, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(js, args);
    }

    /** How many times the page has drawn fresh data (a navigation or a live refresh). */
    private static int draws() {
        String draws = browser.findElement(By.id("updated")).getDomAttribute("data-draws");
        return draws == null ? 0 : Integer.parseInt(draws);
    }

    /** Waits until a live refresh has drawn the page again after {@code before} draws. */
    private static void awaitRefreshAfter(int before) {
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> draws() > before);
    }

    @Test
    @Order(5)
    void aRefreshUnderWayWhenABulkActionBeginsDoesNotDrawOverItsProgress() throws Exception {
        for (int i = 0; i < 3; i++) {
            scheduler.client().enqueue(JobRequest.of("report.build", Map.of("batch", i)).queue("reports")
                    .runAt(java.time.Instant.parse("2999-01-01T00:00:00Z")));
        }
        open("jobs?queue=reports&state=scheduled");
        waiting().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("tbody tr[data-job]"), 3));
        // the next live refresh's request is held, as a loaded server would hold it, until the action is done;
        // heldRefreshDone is set once the page has done all it does with the answer (in microtasks, which all
        // run before the timer that sets it)
        script("""
                window.heldRefreshes = [];
                const realFetch = window.fetch;
                const answered = response => {
                  const json = response.json.bind(response);
                  response.json = () => json().then(body => { setTimeout(() => { window.heldRefreshDone = true; }, 0); return body; });
                  return response;
                };
                window.fetch = (url, init) => String(url).includes('/api/jobs?') && !window.releaseRefreshes
                    ? new Promise(resolve => window.heldRefreshes.push(() => resolve(realFetch(url, init).then(answered))))
                    : realFetch(url, init);""");
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> ((Number) script("return window.heldRefreshes.length")).intValue() > 0);
        click(By.xpath("//button[text()='cancel all matching…']"));
        waiting().until(ExpectedConditions.alertIsPresent());
        browser.switchTo().alert().accept();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-progress]"),
                "3 / 3 processed, 3 changed"));
        // the held refresh answers now, with the page as it was before the action; it must not draw it
        script("window.releaseRefreshes = true; window.heldRefreshes.forEach(release => release());");
        waiting().until(d -> Boolean.TRUE.equals(script("return window.heldRefreshDone === true")));
        assertThat(browser.findElements(By.cssSelector("[data-progress]"))).extracting(WebElement::getText)
                .containsExactly("3 / 3 processed, 3 changed");
        browser.navigate().refresh();
    }

    @Test
    @Order(6)
    void aLiveRefreshKeepsOpenDetailsTypedTextAndTickedJobsAndABadFilterIsShownBesideItsField() throws Exception {
        long failed = scheduler.client().enqueue(JobRequest.of("payment.capture", Map.of("order", 99))).id();
        Await.until(Duration.ofSeconds(20), "the payment job is discarded",
                () -> scheduler.client().get(failed).orElseThrow().state() == JobState.DISCARDED);
        open("jobs/" + failed);
        click(By.cssSelector("details[data-key='stack-1'] summary"));
        int opened = draws();
        awaitRefreshAfter(opened);
        assertThat(property(By.cssSelector("details[data-key='stack-1']"), "open")).isEqualTo("true");
        assertThat(browser.findElement(By.id("updated")).getText()).startsWith("updated ");

        open("jobs?state=discarded");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + failed + "']")));
        click(By.cssSelector("input[data-key='select-" + failed + "']"));
        type(By.name("kind"), "payment.cap");
        // while the field has the focus the page waits; typed text survives a refresh once the focus is elsewhere
        waiting().until(d -> d.findElement(By.id("updated")).getText().contains("paused while you edit"));
        click(By.tagName("h1"));
        int typed = draws();
        awaitRefreshAfter(typed);
        assertThat(property(By.name("kind"), "value")).isEqualTo("payment.cap");
        assertThat(property(By.cssSelector("input[data-key='select-" + failed + "']"), "checked")).isEqualTo("true");
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("1 selected");

        type(By.name("createdFrom"), "yesterday", Keys.ENTER);
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-error-for=createdFrom]")));
        assertThat(text(By.cssSelector("[data-error-for=createdFrom]")))
                .startsWith("expected an ISO-8601 instant");
        assertThat(property(By.name("createdFrom"), "value")).isEqualTo("yesterday");
        assertThat(property(By.name("kind"), "value")).isEqualTo("payment.cap");
        screenshot("jobs-bad-filter");
    }

    @Test
    @Order(7)
    void chartsHaveTicksAndTooltipsJobPagesOfferWhatTheStateAllowsAndThePageFitsAPhoneInDarkMode() throws Exception {
        long retried = scheduler.client().enqueue(JobRequest.of("payment.capture", Map.of("order", 7))).id();
        Await.until(Duration.ofSeconds(20), "the payment job is discarded",
                () -> scheduler.client().get(retried).orElseThrow().state() == JobState.DISCARDED);
        scheduler.client().retry(retried);
        Await.until(Duration.ofSeconds(20), "the retried job completes",
                () -> scheduler.client().get(retried).orElseThrow().state() == JobState.COMPLETED);

        open("");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-chart=rate] svg")));
        for (String chart : new String[] {"throughput", "rate", "duration"}) {
            assertThat(browser.findElements(By.cssSelector("[data-chart=" + chart + "] svg line.grid"))).as(chart).hasSizeBetween(3, 5);
            // one tooltip per minute of the hour, with the exact values
            assertThat(browser.findElements(By.cssSelector("[data-chart=" + chart + "] svg rect.hover"))).as(chart).hasSize(60);
        }
        assertThat(property(By.cssSelector("[data-chart=throughput] svg rect.hover:last-of-type title"), "textContent")).contains("completed: ");

        open("jobs/" + retried);
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-outcome='1']"), "failed → retried"));
        assertThat(text(By.cssSelector("[data-outcome='2']"))).contains("completed");
        assertThat(browser.findElements(By.xpath("//button[text()='Cancel']"))).isEmpty();
        assertThat(browser.findElements(By.xpath("//button[text()='Retry now']"))).hasSize(1);

        scheduler.admin().pauseQueue("ops-olga", "reports");
        try {
            open("queues");
            waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-state-of=reports]"),
                    "paused by ops-olga"));
            assertThat(text(By.cssSelector("[data-nodes=reports]"))).isEqualTo(scheduler.nodeId());
        } finally {
            scheduler.admin().resumeQueue("ops-olga", "reports");
        }

        ((ChromeDriver) browser).executeCdpCommand("Emulation.setEmulatedMedia",
                Map.of("features", java.util.List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        try {
            for (String[] pageAndTitle : new String[][] {{"", "Overview"}, {"jobs", "Jobs"}, {"queues", "Queues"},
                    {"schedules", "Schedules"}, {"jobs/" + retried, "Job " + retried}}) {
                String page = pageAndTitle[0];
                open(page);
                // the page's own title: the page before has a heading and a table too until this one has drawn
                waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main h1"), pageAndTitle[1]));
                waiting().until(d -> !d.findElements(By.cssSelector("main table, main .empty, main svg")).isEmpty());
                // nothing wider than the phone: wide tables scroll in their own box
                assertThat(((Number) script("return document.documentElement.scrollWidth")).intValue()).as(page).isLessThanOrEqualTo(390);
                screenshot("phone-dark-" + (page.isEmpty() ? "overview" : page.replace('/', '-')));
            }
            assertThat(script("return getComputedStyle(document.body).backgroundColor")).isEqualTo("rgb(18, 21, 28)");
        } finally {
            ((ChromeDriver) browser).executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features", java.util.List.of()));
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1440, 1000));
        }
    }

    @Test
    @Order(8)
    void flowControlDeadLetterGroupsDatesAndTheAuditFilterAreOnTheirPages() throws Exception {
        // a queue no node works: its job stays due, unhandled, with what a handler had saved of its progress
        long packing = scheduler.client().enqueue(JobRequest.of("archive.pack", Map.of("bucket", 3)).queue("archive")).id();
        db.execute("update pgjobs.jobs set progress = 40, progress_message = 'page 8 of 20',"
                + " checkpoint = '{\"page\": 8, \"password\": \"hunter2\"}' where id = " + packing);
        open("");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("[data-unhandled-kind='archive/archive.pack']"), "archive.pack"));
        open("jobs/" + packing);
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-progress]"), "40 %"));
        assertThat(text(By.cssSelector("[data-progress]"))).contains("page 8 of 20");
        assertThat(text(By.cssSelector("[data-checkpoint]"))).contains("\"page\": 8")
                .contains("[redacted]").doesNotContain("hunter2");
        screenshot("job-progress");

        long refused = scheduler.client().enqueue(JobRequest.of("archive.pack", Map.of("bucket", 4)).queue("archive")).id();
        db.execute("update pgjobs.jobs set state = 'discarded', finished_at = now(),"
                + " last_error = 'java.io.IOException: bucket 4 is full' where id = " + refused);
        open("dead-letters");
        click(By.xpath("//tr[@data-group][td[contains(., 'bucket # is full')]]//a[@data-group-jobs]"));
        String group = waiting().until(d -> {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("deadLetterGroup=([0-9a-f]{32})").matcher(d.getCurrentUrl());
            return m.find() ? m.group(1) : null;
        });
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-filter-group='" + group + "']")));
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + refused + "']")));
        assertThat(browser.findElements(By.cssSelector("tbody tr[data-job]"))).as("the group's one job").hasSize(1);

        open("jobs");
        // the dead-letter group's page has the same counts, facets and fields, and stays until this one has drawn:
        // typed into, it would apply its own filter, the group, with the dates
        waiting().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("[data-filter-group]"), 0));
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-count-of=available]")));
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-facet='queue:archive']"), "archive"));
        type(By.name("createdFrom"), "2020-01-31", Keys.ENTER);
        // a plain date is the operator's midnight, sent as the instant the API takes
        waiting().until(d -> d.getCurrentUrl().matches(".*createdFrom=2020-01-3[01]T[0-9]{2}%3A[0-9]{2}%3A00.000Z.*"));
        click(By.cssSelector("[data-preset='createdFrom:last hour']"));
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + packing + "']")));
        assertThat(browser.getCurrentUrl()).doesNotContain("createdFrom=2020");

        // test 1 completed 30 reports in this hour: its sparklines have a line
        open("queues");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-spark='reports:throughput'] polyline")));
        assertThat(property(By.cssSelector("[data-spark='reports:throughput'] title"), "textContent"))
                .startsWith("throughput, peak ");
        screenshot("queues-sparklines");

        open("audit");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("input[name=action]")));
        type(By.cssSelector("input[name=action]"), "bulk_delete", Keys.ENTER);
        waiting().until(d -> d.getCurrentUrl().contains("action=bulk_delete"));
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-audit]")));
        // read in one go, again if a live refresh redrew the rows in between
        List<String> rows = waiting().ignoring(StaleElementReferenceException.class).until(d ->
                d.findElements(By.cssSelector("tr[data-audit]")).stream().map(WebElement::getText).toList());
        for (String row : rows) {
            // the bulk delete of test 1 over queue reports and state completed, by its fields
            assertThat(row).contains("bulk_delete").contains("filter: queue=reports states=completed");
        }
        screenshot("audit-filtered");
    }

    @Test
    @Order(9)
    void aWorkflowPageDrawsTheGraphLinksAStepToItsJobAndRetriesTheFailedSteps() throws Exception {
        // payment.capture fails its first attempt for good: b is discarded, and c, which depends on it, cancelled
        var enqueued = scheduler.client().workflows().enqueue(Workflow.builder("checkout-graph")
                .step("a", JobRequest.of("report.build", Map.of("step", "a")).queue("reports"))
                .step("b", JobRequest.of("payment.capture", Map.of("order", 99)), "a")
                .step("c", JobRequest.of("report.build", Map.of("step", "c")).queue("reports"), "b")
                .build());
        long id = enqueued.workflowId();
        assertThat(scheduler.client().workflows().await(id, Duration.ofSeconds(60)).state())
                .isEqualTo(WorkflowStatus.State.FAILED);

        open("workflows");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-workflow='" + id + "']")));
        open("workflows/" + id);
        waiting().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("svg a.wf-node"), 3));
        assertThat(browser.findElements(By.cssSelector("svg path.wf-edge"))).hasSize(2);
        assertThat(attribute(By.cssSelector("a.wf-node[data-step=b]"), "data-state"))
                .isEqualTo("discarded");
        assertThat(attribute(By.cssSelector("a.wf-node[data-step=c]"), "data-state"))
                .isEqualTo("cancelled");
        screenshot("workflow-failed");

        click(By.xpath("//button[text()='Retry failed steps']"));
        waiting().until(ExpectedConditions.alertIsPresent());
        assertThat(browser.switchTo().alert().getText()).contains("Run the failed steps of workflow " + id);
        browser.switchTo().alert().accept();
        Await.until(Duration.ofSeconds(60), "the retried workflow completes", () -> scheduler.client().workflows()
                .get(id).orElseThrow().state() == WorkflowStatus.State.COMPLETED);
        waiting().until(d -> d.findElements(By.cssSelector("a.wf-node[data-state=completed]")).size() == 3);
        screenshot("workflow-retried");

        click(By.cssSelector("a.wf-node[data-step=b]"));
        waiting().until(d -> d.getCurrentUrl().endsWith("#/jobs/" + enqueued.jobIds().get("b")));
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-workflow-link]")));
        assertThat(text(By.cssSelector("[data-workflow-link]"))).isEqualTo("workflow " + id + ", step b");
        assertThat(scheduler.admin().audit(io.pgjobs.admin.PageRequest.first(1)).getFirst().action())
                .isEqualTo("retry_workflow");
    }

    @Test
    @Order(10)
    void theEventsPageShowsADiscardAsTextWithItsJobAndTheNodeThatStarted() throws Exception {
        long hostile = scheduler.client().enqueue(JobRequest.of("hostile", Map.of("n", 10))).id();
        Await.until(Duration.ofSeconds(20), "the hostile job is discarded",
                () -> scheduler.client().get(hostile).orElseThrow().state() == JobState.DISCARDED);

        click(By.linkText("Events"));
        By row = By.xpath("//tr[@data-event='job discarded'][.//a[text()='#" + hostile + "']]");
        waiting().until(ExpectedConditions.presenceOfElementLocated(row));
        assertThat(text(row)).contains("hostile in default", XSS.substring(0, 20));
        assertThat(((JavascriptExecutor) browser).executeScript("return window.pwned")).as("the error is text").isNull();
        // this test's node among the others earlier tests registered
        assertThat(browser.findElements(By.xpath("//tr[@data-event='node started'][contains(., '" + scheduler.nodeId()
                + "')]"))).hasSize(1);
        screenshot("events");

        click(By.xpath("//tr[@data-event='job discarded']//a[text()='#" + hostile + "']"));
        waiting().until(d -> d.getCurrentUrl().endsWith("#/jobs/" + hostile));
    }
}
