package org.dumm.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.dumm.testing.browser.HeadlessChromium;
import org.junit.After;
import org.junit.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The real distribution (bin/dumm-server) and the web UI in Debian's headless Chromium: a
 * {@code dumm:connect} typed into the Karaf console (over its SSH port, as {@code ./dumm client}
 * does) shows in the page's graph within a second of the command's answer; a
 * {@code dumm:disconnect} takes the link away again. The page's Labs and Test runs panels are
 * live (dumm-rest bound the distribution's LabService and ScenarioRunner); with features dumm-lab
 * and dumm-test uninstalled the API still answers and /labs, /test-runs are 404 with their reasons,
 * and /labs answers again once dumm-lab is back. Names start with {@code dmwk}; the
 * screenshot goes to target/screenshots/.
 */
public class WebConsoleIT {

    private final Path base = Path.of("target", "webconsole").toAbsolutePath();
    private KarafInstance karaf;
    private Path workDir;
    private ChromeDriver browser;

    @After
    public void stopAndRemove() {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            if (karaf != null) {
                // a failure before the test's own deletes leaves dmwkg and dmwkbr0: Dumm deletes them
                // here, so that nothing stays on the host; what it had to delete is still reported
                List<String> notDeleted = karaf.isRunning() ? Host.leftovers(workDir, karaf.aliasPrefix()) : List.of();
                if (!notDeleted.isEmpty()) {
                    karaf.deleteAllThroughDumm();
                }
                karaf.stop();
                assertFalse("Karaf still runs", karaf.isRunning());
                List<String> left = Host.leftovers(workDir, karaf.aliasPrefix());
                Host.deleteTree(karaf.home());
                Host.deleteTree(workDir);
                assertTrue("Dumm left host resources: " + left, left.isEmpty());
                assertTrue("the test left host resources for the teardown to delete: " + notDeleted, notDeleted.isEmpty());
            }
        }
    }

    @Test
    public void aConnectInTheKarafConsoleShowsInThePageWithinASecond() throws Exception {
        HeadlessChromium.requireInstalled();
        workDir = Isolation.workDir(base.resolve("w-" + Isolation.tag()));
        karaf = KarafInstance.unpack(Path.of(DummTestSupport.requiredProperty("dumm.distribution")),
                base.resolve("karaf"), workDir, Isolation.aliasPrefix("web"), Isolation.deviceGroup(3));
        karaf.start(Duration.ofSeconds(120));
        Properties web = new Properties();
        try (var in = Files.newInputStream(karaf.home().resolve("etc/org.ops4j.pax.web.cfg"))) {
            web.load(in);
        }
        String port = web.getProperty("org.osgi.service.http.port");
        Path tokenFile = karaf.home().resolve("etc/dumm-rest.token");
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(tokenFile) && System.nanoTime() < until) {
            Thread.sleep(200);
        }
        String token = Files.readString(tokenFile).strip();

        karaf.ok("dumm:bridge-create dmwkbr0; dumm:guest-create dmwkg; dumm:iface-add dmwkg eth0", Duration.ofSeconds(180));
        // pax-web may register the UI's servlet and the API a moment after the token file is
        // there: a page loaded before would be a 404 that never goes live
        String base = "http://127.0.0.1:" + port + "/dumm";
        assertTrue("the UI is not served", awaitAnswer(base + "/ui/", token, 200, "live"));
        assertTrue("the API does not answer", awaitAnswer(base + "/api/guests", token, 200, "["));
        browser = HeadlessChromium.start(workDir.resolve("chromium"));
        browser.get(base + "/ui/#token=" + token);
        try {
            new WebDriverWait(browser, Duration.ofSeconds(30))
                    .until(d -> "live".equals(d.findElement(By.id("live")).getText()));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("the page did not go live; console: " + HeadlessChromium.consoleErrors(browser)
                    + "; #live: " + browser.findElements(By.id("live")).stream().map(w -> w.getText()).toList(), e);
        }
        new WebDriverWait(browser, Duration.ofSeconds(5)).until(d ->
                !d.findElements(By.cssSelector("g.node[data-id='guest:dmwkg']")).isEmpty()
                && !d.findElements(By.cssSelector("g.node[data-id='bridge:dmwkbr0']")).isEmpty());
        assertTrue(browser.findElements(By.cssSelector("line.link[data-id='link:dmwkg/eth0']")).isEmpty());
        // the distribution boots dumm-lab and dumm-test: dumm-rest's optional references found them
        new WebDriverWait(browser, Duration.ofSeconds(5)).until(d ->
                !d.findElements(By.cssSelector("#labs-box[data-available='true']")).isEmpty()
                && !d.findElements(By.cssSelector("#tests-box[data-available='true']")).isEmpty());

        karaf.ok("dumm:connect dmwkg eth0 dmwkbr0");
        long t0 = System.nanoTime();
        new WebDriverWait(browser, Duration.ofSeconds(5)).pollingEvery(Duration.ofMillis(10)).until(d ->
                !d.findElements(By.cssSelector("line.link[data-id='link:dmwkg/eth0']")).isEmpty());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Files.createDirectories(Path.of("target", "screenshots"));
        Files.write(Path.of("target", "screenshots", "webconsole-connect.png"),
                ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        System.out.println("dumm:connect answered in the Karaf console → link in the page: " + ms + " ms");
        assertTrue("the link showed " + ms + " ms after dumm:connect answered", ms < 1000);

        karaf.ok("dumm:disconnect dmwkg eth0");
        t0 = System.nanoTime();
        new WebDriverWait(browser, Duration.ofSeconds(5)).pollingEvery(Duration.ofMillis(10)).until(d ->
                d.findElements(By.cssSelector("line.link[data-id='link:dmwkg/eth0']")).isEmpty());
        ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue("the link went " + ms + " ms after dumm:disconnect answered", ms < 1000);

        List<String> errors = HeadlessChromium.consoleErrors(browser);
        karaf.ok("dumm:guest-delete dmwkg --force; dumm:bridge-delete dmwkbr0");
        assertEquals("console errors in the page", List.of(), errors);

        // dumm-rest without dumm-lab and dumm-test: the rest of the API answers, /labs and
        // /test-runs are 404 with their reasons; dumm-lab back, /labs answers again
        karaf.ok("feature:uninstall dumm-test dumm-lab", Duration.ofSeconds(120));
        String api = "http://127.0.0.1:" + port + "/dumm/api";
        assertTrue("no LABS_UNAVAILABLE", awaitAnswer(api + "/labs", token, 404, "LABS_UNAVAILABLE"));
        assertTrue("no TESTS_UNAVAILABLE", awaitAnswer(api + "/test-runs", token, 404, "TESTS_UNAVAILABLE"));
        assertTrue("GET /guests without dumm-lab", awaitAnswer(api + "/guests", token, 200, "["));
        karaf.ok("feature:install dumm-lab", Duration.ofSeconds(120));
        assertTrue("/labs after dumm-lab came back", awaitAnswer(api + "/labs", token, 200, "["));
    }

    /** Whether GET url answers {@code status} with {@code text} in its body within 30 s. */
    private static boolean awaitAnswer(String url, String token, int status, String text) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build();
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = "";
        while (System.nanoTime() < end) {
            try {
                java.net.http.HttpResponse<String> r = http.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == status && r.body().contains(text)) {
                    return true;
                }
            } catch (IOException e) {
                last = e.toString();   // dumm-rest being refreshed
            }
            Thread.sleep(250);
        }
        System.out.println("GET " + url + ": last answer " + last);
        return false;
    }
}
