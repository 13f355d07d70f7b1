package org.dumm.test.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

import org.dumm.test.RunReport;
import org.dumm.test.ScenarioResult;

/**
 * A run as JUnit XML, the format CI systems read: one {@code testsuite}, one {@code testcase}
 * per scenario (classname = category, name = scenario), a failed scenario with a
 * {@code failure} (message = the first failing line, text = its output), one that could not be
 * read or run with an {@code error}; the console log as {@code system-out}.
 */
final class JUnitXml {

    private JUnitXml() {
    }

    static void write(RunReport report, Path file) {
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        long failures = report.results().stream().filter(r -> r.verdict() == ScenarioResult.Verdict.FAILED).count();
        long errors = report.results().stream().filter(r -> r.verdict() == ScenarioResult.Verdict.ERROR).count();
        double total = report.results().stream().mapToLong(ScenarioResult::millis).sum() / 1000.0;
        x.append("<testsuite name=\"dumm-scenarios\" tests=\"").append(report.results().size())
                .append("\" failures=\"").append(failures).append("\" errors=\"").append(errors)
                .append("\" time=\"").append(seconds(total)).append("\">\n");
        for (ScenarioResult r : report.results()) {
            x.append("  <testcase classname=\"").append(esc(r.category())).append("\" name=\"").append(esc(r.name()))
                    .append("\" time=\"").append(seconds(r.millis() / 1000.0)).append("\">\n");
            if (!r.passed()) {
                String tag = r.verdict() == ScenarioResult.Verdict.FAILED ? "failure" : "error";
                x.append("    <").append(tag).append(" message=\"").append(esc(r.failure())).append("\">")
                        .append(esc(r.detail())).append("</").append(tag).append(">\n");
            }
            x.append("    <system-out>").append(esc(String.join("\n", r.log()))).append("</system-out>\n");
            x.append("  </testcase>\n");
        }
        x.append("</testsuite>\n");
        try {
            Path abs = file.toAbsolutePath();
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            Path tmp = abs.resolveSibling("." + abs.getFileName() + ".part");
            Files.writeString(tmp, x, StandardCharsets.UTF_8);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file + ": " + e.getMessage(), e);
        }
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    /** XML text and attribute escaping; characters XML 1.0 cannot hold become '?'. */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c < 0x20 && c != '\n' && c != '\t' && c != '\r' ? '?' : c);
            }
        }
        return b.toString();
    }
}
