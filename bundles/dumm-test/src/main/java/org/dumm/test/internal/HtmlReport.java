package org.dumm.test.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.dumm.test.RunReport;
import org.dumm.test.ScenarioResult;
import org.dumm.test.ScenarioResult.Verdict;

/**
 * A run as static HTML: {@code index.html} with the counts per category and a row per scenario
 * (verdict, time, first failing line), and per scenario {@code CATEGORY_NAME.html} with its
 * description (the scenario's own HTML fragment), its diagram (copied beside the page) and the
 * console log in its pretest / test / checks / state / posttest sections.
 */
final class HtmlReport {

    private static final String STYLE = "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            + "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.PASSED{color:#070}.FAILED,.ERROR{color:#b00}"
            + "pre{background:#f6f6f6;padding:.5em}</style>";

    private HtmlReport() {
    }

    static void write(RunReport report, Path dir) {
        try {
            Files.createDirectories(dir);
            Map<String, int[]> perCategory = new LinkedHashMap<>();
            StringBuilder rows = new StringBuilder();
            for (ScenarioResult r : report.results()) {
                int[] c = perCategory.computeIfAbsent(r.category(), k -> new int[3]);
                c[r.verdict().ordinal()]++;
                String page = page(r);
                rows.append("<tr><td>").append(JUnitXml.esc(r.category())).append("</td><td><a href=\"").append(page).append("\">")
                        .append(JUnitXml.esc(r.name())).append("</a></td><td class=\"").append(r.verdict()).append("\">")
                        .append(r.verdict()).append("</td><td>").append(seconds(r.millis())).append("</td><td>")
                        .append(JUnitXml.esc(r.failure() == null ? "" : r.failure())).append("</td></tr>\n");
                writeScenario(dir, r, page);
            }
            StringBuilder cats = new StringBuilder();
            perCategory.forEach((k, c) -> cats.append("<tr><td>").append(JUnitXml.esc(k.isEmpty() ? "-" : k))
                    .append("</td><td>").append(c[0]).append("</td><td>").append(c[1]).append("</td><td>").append(c[2])
                    .append("</td></tr>\n"));
            String html = head("Scenario tests") + "<h1>Scenario tests</h1>\n<p>" + report.passed() + " passed, "
                    + report.failed() + " failed</p>\n<table><tr><th>Category</th><th>Passed</th><th>Failed</th><th>Error</th></tr>\n"
                    + cats + "</table>\n<h2>Scenarios</h2>\n<table><tr><th>Category</th><th>Scenario</th><th>Verdict</th>"
                    + "<th>Time</th><th>First failing line</th></tr>\n" + rows + "</table>\n</body></html>\n";
            Files.writeString(dir.resolve("index.html"), html, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the HTML report into " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void writeScenario(Path dir, ScenarioResult r, String page) throws IOException {
        StringBuilder b = new StringBuilder(head(r.category() + "/" + r.name()));
        b.append("<p><a href=\"index.html\">All scenarios</a></p>\n<h1>").append(JUnitXml.esc(r.category() + "/" + r.name()))
                .append("</h1>\n<p class=\"").append(r.verdict()).append("\">").append(r.verdict()).append(" in ")
                .append(seconds(r.millis())).append("</p>\n");
        if (r.verdict() != Verdict.PASSED) {
            b.append("<p>").append(JUnitXml.esc(r.failure())).append("</p>\n");
        }
        b.append("<h2>Description</h2>\n<div>").append(r.description()).append("</div>\n");
        if (r.diagram() != null) {
            Path src = Path.of(r.diagram());
            String img = page.substring(0, page.length() - 5) + "-" + src.getFileName();
            Files.copy(src, dir.resolve(img), StandardCopyOption.REPLACE_EXISTING);
            b.append("<p><img src=\"").append(img).append("\" alt=\"diagram\"></p>\n");
        }
        b.append("<h2>Console log</h2>\n");
        StringBuilder pre = new StringBuilder();
        for (String line : r.log()) {
            if (List.of("[pretest]", "[test]", "[checks]", "[state]", "[posttest]").contains(line)) {
                flush(b, pre);
                b.append("<h3>").append(line, 1, line.length() - 1).append("</h3>\n");
            } else {
                pre.append(JUnitXml.esc(line)).append('\n');
            }
        }
        flush(b, pre);
        b.append("</body></html>\n");
        Files.writeString(dir.resolve(page), b, StandardCharsets.UTF_8);
    }

    private static void flush(StringBuilder b, StringBuilder pre) {
        if (!pre.isEmpty()) {
            b.append("<pre>").append(pre).append("</pre>\n");
            pre.setLength(0);
        }
    }

    /** The scenario's page: category and name, with what is not a safe file name character as '_'. */
    static String page(ScenarioResult r) {
        String base = (r.category().isEmpty() ? "" : r.category() + "_") + r.name();
        return base.replaceAll("[^A-Za-z0-9._-]", "_") + ".html";
    }

    private static String head(String title) {
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + JUnitXml.esc(title) + "</title>" + STYLE
                + "</head><body>\n";
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
