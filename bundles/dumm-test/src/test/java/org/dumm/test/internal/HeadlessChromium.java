package org.dumm.test.internal;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;

import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * An HTML report opened in Debian's headless Chromium through chromedriver (Selenium): the index,
 * then every page its links lead to; what the browser's console logged at SEVERE on each.
 */
final class HeadlessChromium {

    private HeadlessChromium() {
    }

    /** Visits index.html of {@code dir} and each local page it links; returns the pages seen and the console errors. */
    static List<String> errorsOfReport(Path dir, List<String> visited) throws Exception {
        for (String exe : List.of("/usr/bin/chromium", "/usr/bin/chromedriver")) {
            if (!Files.isExecutable(Path.of(exe))) {
                throw new AssertionError(exe + " is missing: apt-get install chromium chromium-driver (./dumm installs them)");
            }
        }
        Path profile = Files.createTempDirectory(Path.of("/tmp"), "dmt-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--allow-file-access-from-files", "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
        ChromeDriver browser = new ChromeDriver(service, options);
        List<String> errors = new ArrayList<>();
        try {
            browser.get(dir.resolve("index.html").toUri().toString());
            List<String> pages = new ArrayList<>();
            for (WebElement a : browser.findElements(By.cssSelector("a[href]"))) {
                String href = a.getAttribute("href");
                if (href.startsWith("file:") && href.endsWith(".html") && !pages.contains(href)) {
                    pages.add(href);
                }
            }
            collect(browser, "index.html", errors);
            visited.add(browser.getTitle());
            for (String page : pages) {
                browser.get(page);
                visited.add(browser.getTitle());
                collect(browser, page, errors);
            }
        } finally {
            browser.quit();
            try (java.util.stream.Stream<Path> all = Files.walk(profile)) {
                for (Path f : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
        return errors;
    }

    private static void collect(ChromeDriver browser, String page, List<String> errors) {
        for (LogEntry e : browser.manage().logs().get(LogType.BROWSER).getAll()) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors.add(page + ": " + e.getMessage());
            }
        }
    }
}
