package io.pgjobs.dashboard.bench;

import io.pgjobs.JobRequest;
import io.pgjobs.Scheduler;
import io.pgjobs.dashboard.DashboardServer;
import io.pgjobs.dashboard.DashboardServlet;
import io.pgjobs.dashboard.DashboardUser;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Not a test: the page's weight and first render in headless Chromium (/usr/bin/chromium). Loads the overview
 * {@code loads} times in one browser: the first load is cold (nothing cached), the others warm (the versioned
 * script and styles come from the cache). Prints the bytes the browser received for each file on the cold load,
 * then the median of the warm loads and the cold one for first contentful paint (the page's frame) and for the
 * first draw of data (the overview's cards, charts and tables; the page's own performance mark). Runs as
 * {@link DashboardBenchmark} does, with {@code io.pgjobs.dashboard.bench.PageLoadBenchmark [loads]}.
 */
public final class PageLoadBenchmark {
    public static void main(String[] args) throws Exception {
        int loads = args.length > 0 ? Integer.parseInt(args[0]) : 11;
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("fsync", "off").start()) {
            Scheduler scheduler = Scheduler.builder(pg.getPostgresDatabase()).build();
            scheduler.migrate();
            for (int i = 0; i < 100; i++) {
                scheduler.client().enqueue(JobRequest.of("bench.page", Map.of("n", i)).queue("q" + i % 5));
            }
            ChromeOptions options = new ChromeOptions().setBinary(new File("/usr/bin/chromium")).addArguments("--headless",
                    "--no-sandbox", "--disable-gpu", "--window-size=1440,1000",
                    "--user-data-dir=" + Files.createTempDirectory("pgjobs-page-bench"));
            ChromeDriver browser = new ChromeDriver(new ChromeDriverService.Builder()
                    .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build(), options);
            try (DashboardServer server = DashboardServer.start(new DashboardServlet(scheduler,
                    request -> new DashboardUser("bench", DashboardUser.Role.VIEWER)), "127.0.0.1", 0, "/")) {
                List<double[]> warm = new ArrayList<>();
                for (int load = 0; load < loads; load++) {
                    browser.get("about:blank");
                    browser.get(server.uri().toString());
                    new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> (Boolean) ((JavascriptExecutor) d)
                            .executeScript("return performance.getEntriesByName('pgjobs-first-draw').length > 0"));
                    JavascriptExecutor js = browser;
                    double paint = ((Number) js.executeScript("return performance.getEntriesByName('first-contentful-paint')[0].startTime")).doubleValue();
                    double drawn = ((Number) js.executeScript("return performance.getEntriesByName('pgjobs-first-draw')[0].startTime")).doubleValue();
                    if (load == 0) {
                        System.out.println("cold load, bytes received: " + js.executeScript("""
                                return [performance.getEntriesByType('navigation')[0]].concat(performance.getEntriesByType('resource'))
                                    .map(e => e.name.replace(/^.*\\//, '') + ' ' + e.transferSize + ' (body ' + e.decodedBodySize + ')').join(', ')"""));
                        System.out.printf("cold load: first contentful paint %.0f ms, first data drawn %.0f ms%n", paint, drawn);
                    } else {
                        warm.add(new double[] {paint, drawn});
                    }
                }
                warm.sort((a, b) -> Double.compare(a[1], b[1]));
                double[] median = warm.get(warm.size() / 2);
                System.out.printf("warm loads (median of %d, by first draw): first contentful paint %.0f ms, first data drawn %.0f ms%n",
                        warm.size(), median[0], median[1]);
            } finally {
                browser.quit();
                scheduler.close();
            }
        }
    }

    private PageLoadBenchmark() {}
}
