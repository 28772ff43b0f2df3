package io.pgjobs.dashboard;

import io.pgjobs.Scheduler;
import io.pgjobs.testing.PgDatabase;
import java.io.File;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.openqa.selenium.By;
import org.openqa.selenium.ElementNotInteractableException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What every dashboard test class sets up, for the class: its own migrated database, a scheduler on it, the
 * dashboard served over it by Jetty on a free port, HTTP calls to it, and for the browser tests a headless
 * Chromium. Register it as {@code @RegisterExtension static final DashboardFixture dashboard = ...}; before the
 * class's tests it sets the class's static fields marked {@link Fixture} to what it made of their type, after
 * them it closes all of it, and before each test it empties the tables the class names.
 */
final class DashboardFixture implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {
    /**
     * A static field of the test class that the fixture sets before the class's tests: a {@link PgDatabase},
     * {@link Scheduler}, {@link DashboardServer}, {@link HttpCalls} or {@link WebDriver}.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Fixture {}

    /** An operator and a viewer, each with a password, for {@link #withUsers}. */
    static final String USERS = "olga:op-pw:operator,victor:view-pw:viewer";

    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private final PgDatabase db = new PgDatabase();
    private final String path;
    private final DashboardAuth auth;
    private UnaryOperator<Scheduler.Builder> configuration = UnaryOperator.identity();
    private boolean started;
    private String truncated;
    private boolean inChromium;

    private boolean dbCreated;
    private Scheduler scheduler;
    private DashboardServer server;
    private WebDriver browser;

    private DashboardFixture(String path, DashboardAuth auth) {
        this.path = path;
        this.auth = auth;
    }

    /** The dashboard at {@code path}, for the users of {@link #USERS} (HTTP Basic). */
    static DashboardFixture withUsers(String path) {
        return new DashboardFixture(path, BasicAuth.parse(USERS));
    }

    /** The dashboard at {@code path}, where the host's hook makes everyone the operator "browser-test". */
    static DashboardFixture signedInAsOperator(String path) {
        return new DashboardFixture(path, request -> new DashboardUser("browser-test", DashboardUser.Role.OPERATOR));
    }

    /** Configures the scheduler beyond its database (queues, handlers, a node id); by default nothing. */
    DashboardFixture scheduler(UnaryOperator<Scheduler.Builder> configuration) {
        this.configuration = configuration;
        return this;
    }

    /** Starts the scheduler (a node that claims and runs jobs); by default it only serves the dashboard. */
    DashboardFixture started() {
        this.started = true;
        return this;
    }

    /** Empties {@code tables} (a {@code truncate} list) before each test. */
    DashboardFixture truncatingBeforeEach(String tables) {
        this.truncated = tables;
        return this;
    }

    /**
     * Opens a headless Chromium (the system's chromium and chromedriver) for the class; skips the class where they
     * are missing.
     */
    DashboardFixture inChromium() {
        this.inChromium = true;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (inChromium) {
            Assumptions.assumeTrue(CHROMEDRIVER.canExecute() && CHROMIUM.canExecute(),
                    "browser tests need /usr/bin/chromium and /usr/bin/chromedriver (installed by .ci/run)");
        }
        db.beforeAll(context);
        dbCreated = true;
        scheduler = configuration.apply(Scheduler.builder(db.dataSource())).build();
        if (started) {
            scheduler.start();
        }
        server = DashboardServer.start(new DashboardServlet(scheduler, auth), "127.0.0.1", 0, path);
        if (inChromium) {
            browser = chromium();
            Files.createDirectories(SCREENSHOTS);
        }
        for (Field field : AnnotationSupport.findAnnotatedFields(context.getRequiredTestClass(), Fixture.class)) {
            field.setAccessible(true);
            field.set(null, part(field.getType()));
        }
    }

    private Object part(Class<?> type) {
        if (type == PgDatabase.class) {
            return db;
        } else if (type == Scheduler.class) {
            return scheduler;
        } else if (type == DashboardServer.class) {
            return server;
        } else if (type == HttpCalls.class) {
            return new HttpCalls(server.uri());
        } else if (type == WebDriver.class) {
            return browser;
        }
        throw new IllegalArgumentException("a DashboardFixture makes no " + type.getName());
    }

    private static WebDriver chromium() throws Exception {
        Path profile = Files.createTempDirectory("pgjobs-chromium");
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM).addArguments("--headless", "--no-sandbox",
                "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1440,1000", "--user-data-dir=" + profile);
        return new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER)
                .usingAnyFreePort().build(), options);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (truncated != null) {
            db.execute("truncate " + truncated);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        // whatever the class got to before a failure (or a skip) is closed, the database last
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
        if (scheduler != null) {
            scheduler.close();
        }
        if (dbCreated) {
            db.afterAll(context);
        }
    }

    /** {@return a wait of up to 30 s on the browser} */
    WebDriverWait waiting() {
        return new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    /** Clicks what {@code locator} finds, finding it again if a live refresh redrew the page in between. */
    void click(By locator) {
        waiting().ignoring(StaleElementReferenceException.class, ElementNotInteractableException.class).until(d -> {
            d.findElement(locator).click();
            return true;
        });
    }

    /** Saves what the browser shows as target/screenshots/{@code name}.png. */
    void screenshot(String name) throws Exception {
        Path png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(png, SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
