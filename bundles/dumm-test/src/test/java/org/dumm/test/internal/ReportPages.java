package org.dumm.test.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.dumm.testing.browser.HeadlessChromium;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * An HTML report opened in headless Chromium: the index, then every page its links lead to;
 * what the browser's console logged at SEVERE on each.
 */
final class ReportPages {

    private ReportPages() {
    }

    /** Visits index.html of {@code dir} and each local page it links; adds the pages' titles to {@code visited}, returns the console errors. */
    static List<String> errorsOfReport(Path dir, List<String> visited) throws Exception {
        Path profile = Files.createTempDirectory(Path.of("/tmp"), "dmt-chromium-");
        List<String> errors = new ArrayList<>();
        try {
            // the report's pages are files: they may read each other
            ChromeDriver browser = HeadlessChromium.start(profile, "--allow-file-access-from-files");
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
            }
        } finally {
            try (Stream<Path> all = Files.walk(profile)) {
                for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
        return errors;
    }

    private static void collect(ChromeDriver browser, String page, List<String> errors) {
        for (String e : HeadlessChromium.consoleErrors(browser)) {
            errors.add(page + ": " + e);
        }
    }
}
