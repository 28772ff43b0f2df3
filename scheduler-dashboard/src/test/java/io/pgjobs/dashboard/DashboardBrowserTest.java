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
        WebElement discarded = waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-count=discarded]")));
        waiting().until(d -> !discarded.getText().equals("0"));
        assertThat(browser.findElements(By.cssSelector("tr[data-queue]"))).hasSize(2);
        // the heartbeat writes the leader mark on its next round; the page shows it on a refresh
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-leader='" + scheduler.nodeId() + "'] .badge.s-leader")));
        assertThat(browser.findElement(By.cssSelector("[data-check=database] .badge")).getText()).isEqualTo("up");
        assertThat(browser.findElement(By.cssSelector("[data-check=node] .badge")).getText()).isEqualTo("up");
        assertThat(browser.findElement(By.cssSelector("[data-check='queue:reports']")).getText()).contains("due jobs");
        // the leader samples every queue's lag at once when it is elected; the chart draws a line per queue
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-chart=lag] svg path[data-line=reports]")));
        assertThat(browser.findElement(By.cssSelector("[data-chart=lag] .legend")).getText()).contains("reports", "default");
        screenshot("overview");

        browser.findElement(By.cssSelector("a.card[href='#/jobs?state=discarded']")).click();
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + failing + "']")));
        assertThat(browser.findElements(By.cssSelector("tbody tr[data-job]")))
                .allSatisfy(row -> assertThat(row.findElement(By.cssSelector(".badge")).getText()).isEqualTo("discarded"));
        screenshot("jobs-discarded");

        browser.findElement(By.cssSelector("tr[data-job='" + failing + "'] a")).click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), "Job " + failing));
        assertThat(browser.getPageSource()).doesNotContain("tok_secret_4242").contains("[redacted]");
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("gateway answered 503 for order 17");
        screenshot("job-discarded");

        browser.findElement(By.xpath("//button[text()='Retry now']")).click();
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
        assertThat(browser.findElement(By.xpath("//tr[td[text()='" + scheduler.nodeId() + "']]")).getText()).contains("leader", "since");
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
        assertThat(browser.findElement(By.cssSelector("li[data-run='" + run + "']")).getText()).contains("#" + run, "manual");
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
        assertThat(browser.findElement(By.cssSelector("[data-searched]")).getText())
                .isEqualTo("Searched jobs down to #" + (newest + 1 - 100_000));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("No jobs match among those searched.");
        screenshot("jobs-search-partial");

        browser.findElement(By.cssSelector("button[data-next]")).click();
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tbody tr[data-job='" + needle + "']")));
        assertThat(browser.findElement(By.cssSelector("[data-end]")).getText()).isEqualTo("No more jobs.");
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
        assertThat(browser.findElement(By.cssSelector("details[data-key='stack-1']")).getDomProperty("open")).isEqualTo("true");
        assertThat(browser.findElement(By.id("updated")).getText()).startsWith("updated ");

        open("jobs?state=discarded");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + failed + "']")));
        click(By.cssSelector("input[data-key='select-" + failed + "']"));
        WebElement kind = browser.findElement(By.name("kind"));
        kind.sendKeys("payment.cap");
        // while the field has the focus the page waits; typed text survives a refresh once the focus is elsewhere
        waiting().until(d -> d.findElement(By.id("updated")).getText().contains("paused while you edit"));
        browser.findElement(By.tagName("h1")).click();
        int typed = draws();
        awaitRefreshAfter(typed);
        assertThat(browser.findElement(By.name("kind")).getDomProperty("value")).isEqualTo("payment.cap");
        assertThat(browser.findElement(By.cssSelector("input[data-key='select-" + failed + "']")).isSelected()).isTrue();
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("1 selected");

        WebElement from = browser.findElement(By.name("createdFrom"));
        from.sendKeys("yesterday", org.openqa.selenium.Keys.ENTER);
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-error-for=createdFrom]")));
        assertThat(browser.findElement(By.cssSelector("[data-error-for=createdFrom]")).getText())
                .startsWith("expected an ISO-8601 instant");
        assertThat(browser.findElement(By.name("createdFrom")).getDomProperty("value")).isEqualTo("yesterday");
        assertThat(browser.findElement(By.name("kind")).getDomProperty("value")).isEqualTo("payment.cap");
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
        assertThat(browser.findElement(By.cssSelector("[data-chart=throughput] svg rect.hover:last-of-type title"))
                .getDomProperty("textContent")).contains("completed: ");

        open("jobs/" + retried);
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-outcome='1']"), "failed → retried"));
        assertThat(browser.findElement(By.cssSelector("[data-outcome='2']")).getText()).contains("completed");
        assertThat(browser.findElements(By.xpath("//button[text()='Cancel']"))).isEmpty();
        assertThat(browser.findElements(By.xpath("//button[text()='Retry now']"))).hasSize(1);

        scheduler.admin().pauseQueue("ops-olga", "reports");
        try {
            open("queues");
            waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-state-of=reports]"),
                    "paused by ops-olga"));
            assertThat(browser.findElement(By.cssSelector("[data-nodes=reports]")).getText()).isEqualTo(scheduler.nodeId());
        } finally {
            scheduler.admin().resumeQueue("ops-olga", "reports");
        }

        ((ChromeDriver) browser).executeCdpCommand("Emulation.setEmulatedMedia",
                Map.of("features", java.util.List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        try {
            for (String page : new String[] {"", "jobs", "queues", "schedules", "jobs/" + retried}) {
                open(page);
                waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("main h1")));
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
        assertThat(browser.findElement(By.cssSelector("[data-progress]")).getText()).contains("page 8 of 20");
        assertThat(browser.findElement(By.cssSelector("[data-checkpoint]")).getText()).contains("\"page\": 8")
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
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-count-of=available]")));
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-facet='queue:archive']"), "archive"));
        waiting().ignoring(StaleElementReferenceException.class, ElementNotInteractableException.class).until(d -> {
            d.findElement(By.name("createdFrom")).sendKeys("2020-01-31\n");
            return true;
        });
        // a plain date is the operator's midnight, sent as the instant the API takes
        waiting().until(d -> d.getCurrentUrl().matches(".*createdFrom=2020-01-3[01]T[0-9]{2}%3A[0-9]{2}%3A00.000Z.*"));
        click(By.cssSelector("[data-preset='createdFrom:last hour']"));
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + packing + "']")));
        assertThat(browser.getCurrentUrl()).doesNotContain("createdFrom=2020");

        // test 1 completed 30 reports in this hour: its sparklines have a line
        open("queues");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-spark='reports:throughput'] polyline")));
        assertThat(browser.findElement(By.cssSelector("[data-spark='reports:throughput'] title")).getDomProperty("textContent"))
                .startsWith("throughput, peak ");
        screenshot("queues-sparklines");

        open("audit");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("input[name=action]")));
        // the field is in the page before the page has drawn the form it belongs to: type once it takes keys
        waiting().ignoring(StaleElementReferenceException.class, ElementNotInteractableException.class).until(d -> {
            d.findElement(By.cssSelector("input[name=action]")).sendKeys("bulk_delete\n");
            return true;
        });
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
        assertThat(browser.findElement(By.cssSelector("a.wf-node[data-step=b]")).getDomAttribute("data-state"))
                .isEqualTo("discarded");
        assertThat(browser.findElement(By.cssSelector("a.wf-node[data-step=c]")).getDomAttribute("data-state"))
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
        WebElement back = waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-workflow-link]")));
        assertThat(back.getText()).isEqualTo("workflow " + id + ", step b");
        assertThat(scheduler.admin().audit(io.pgjobs.admin.PageRequest.first(1)).getFirst().action())
                .isEqualTo("retry_workflow");
    }
}
