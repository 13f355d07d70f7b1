package org.dumm.test.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.xml.parsers.DocumentBuilderFactory;

import org.dumm.test.RunReport;
import org.dumm.test.ScenarioResult;
import org.dumm.test.ScenarioResult.Verdict;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.w3c.dom.Element;

/** The JUnit XML read back, the HTML report opened in headless Chromium. */
public class ReportsTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private RunReport report() throws Exception {
        Path png = tmp.newFile("diagram.png").toPath();
        Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        return new RunReport(List.of(
                new ScenarioResult("ikev2", "net2net-psk", Verdict.PASSED, null, "", 1234,
                        List.of("[pretest]", "moon# systemctl start strongswan", "[test]",
                                "moon# swanctl --list-sas | grep 'ESTABLISHED'  [YES]  OK", "[posttest]"),
                        "A <b>PSK</b> tunnel.", png.toString()),
                new ScenarioResult("ikev2", "wrong-psk", Verdict.FAILED, "evaltest.dat:2: moon::x::a<b & \"c\"::YES",
                        "no <match>\u0001", 500, List.of("[test]", "moon# x | grep 'a<b'  [YES]  FAILED (0 matching lines)"), "", null),
                new ScenarioResult("ikev1", "broken", Verdict.ERROR, "evaltest.dat:1: hit must be YES", "", 0, List.of(), "", null)));
    }

    @Test
    public void junitXmlReadsBack() throws Exception {
        Path xml = tmp.getRoot().toPath().resolve("out/junit.xml");
        JUnitXml.write(report(), xml);
        Element suite = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile()).getDocumentElement();
        assertEquals("3", suite.getAttribute("tests"));
        assertEquals("1", suite.getAttribute("failures"));
        assertEquals("1", suite.getAttribute("errors"));
        Element failure = (Element) suite.getElementsByTagName("failure").item(0);
        assertEquals("evaltest.dat:2: moon::x::a<b & \"c\"::YES", failure.getAttribute("message"));
        assertEquals("no <match>?", failure.getTextContent());
        Element error = (Element) suite.getElementsByTagName("error").item(0);
        assertEquals("evaltest.dat:1: hit must be YES", error.getAttribute("message"));
        assertEquals("1.234", ((Element) suite.getElementsByTagName("testcase").item(0)).getAttribute("time"));
    }

    @Test
    public void htmlReportOpensInHeadlessChromium() throws Exception {
        Path dir = tmp.getRoot().toPath().resolve("html");
        HtmlReport.write(report(), dir);
        assertTrue(Files.isRegularFile(dir.resolve("ikev2_net2net-psk-diagram.png")));
        String index = dom(dir.resolve("index.html"));
        assertTrue(index, index.contains("1 passed, 2 failed"));
        assertTrue(index, index.contains("<a href=\"ikev2_wrong-psk.html\">wrong-psk</a>"));
        assertTrue(index, index.contains("evaltest.dat:2: moon::x::a&lt;b &amp; \"c\"::YES"));
        String page = dom(dir.resolve("ikev2_net2net-psk.html"));
        assertTrue(page, page.contains("A <b>PSK</b> tunnel."));
        assertTrue(page, page.contains("<h3>test</h3>"));
        assertTrue(page, page.contains("moon# swanctl --list-sas | grep 'ESTABLISHED'  [YES]  OK"));
        assertTrue(page, page.contains("<img src=\"ikev2_net2net-psk-diagram.png\""));
    }

    @Test
    public void htmlReportHasNoConsoleErrorsInChromium() throws Exception {
        Path dir = tmp.getRoot().toPath().resolve("html2");
        Path png = tmp.newFile("real.png").toPath();
        // a valid 1x1 PNG, so that the diagram decodes
        Files.write(png, java.util.Base64.getDecoder().decode(
                "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="));
        RunReport r = report();
        List<ScenarioResult> rs = new java.util.ArrayList<>(r.results());
        ScenarioResult first = rs.get(0);
        rs.set(0, new ScenarioResult(first.category(), first.name(), first.verdict(), null, "", first.millis(),
                first.log(), first.description(), png.toString()));
        HtmlReport.write(new RunReport(rs), dir);
        List<String> titles = new java.util.ArrayList<>();
        List<String> errors = ReportPages.errorsOfReport(dir, titles);
        assertEquals("console errors", List.of(), errors);
        assertEquals(titles.toString(), 4, titles.size()); // the index and a page per scenario
    }

    /** The page's DOM as headless Chromium builds it; fails when Chromium does not load it. */
    private static String dom(Path page) throws Exception {
        Path out = Files.createTempFile("dmt-dom", ".html");
        try {
            Process p = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                    page.toUri().toString()).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue("chromium did not finish", p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
