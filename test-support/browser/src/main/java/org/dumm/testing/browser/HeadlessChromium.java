package org.dumm.testing.browser;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's Chromium, headless, driven through its chromedriver: how every browser test of the
 * project starts it and reads what the page's console logged. The profile lives in a directory
 * the test owns; the test quits the browser before deleting that directory (Chromium writes
 * there until it has quit).
 */
public final class HeadlessChromium {

    /** Debian's packages chromium and chromium-driver; ./dumm installs them. */
    public static final Path BROWSER = Path.of("/usr/bin/chromium");
    public static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    /**
     * Chromium aborts requests in flight with this when the host's network devices or addresses
     * change: the tests make TAPs and bridges, other work on a shared host makes more. The pages
     * retry such requests, so they are no error of the page's.
     */
    private static final String NETWORK_CHANGED = "Failed to load resource: net::ERR_NETWORK_CHANGED";

    private HeadlessChromium() {
    }

    /** Fails the test, saying what to install, when the browser or its driver is missing. */
    public static void requireInstalled() {
        for (Path exe : List.of(BROWSER, DRIVER)) {
            if (!Files.isExecutable(exe)) {
                throw new AssertionError(exe + " is missing: apt-get install chromium chromium-driver (./dumm installs them)");
            }
        }
    }

    /**
     * A browser with its profile in {@code profile} (created if missing), a 1280x800 window and
     * every console message kept; {@code extraArgs} go to Chromium as they are.
     */
    public static ChromeDriver start(Path profile, String... extraArgs) throws IOException {
        requireInstalled();
        Files.createDirectories(profile);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BROWSER.toString());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--user-data-dir=" + profile);
        options.addArguments(extraArgs);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(DRIVER.toString())).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    /**
     * What the console logged at SEVERE since the last call (reading the log empties it), less
     * the requests Chromium aborted because the host's network changed.
     */
    public static List<String> consoleErrors(ChromeDriver browser) {
        List<String> errors = new ArrayList<>();
        for (LogEntry e : browser.manage().logs().get(LogType.BROWSER).getAll()) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue() && !e.getMessage().endsWith(NETWORK_CHANGED)) {
                errors.add(e.getMessage());
            }
        }
        return errors;
    }
}
