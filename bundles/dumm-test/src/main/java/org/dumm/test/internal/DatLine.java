package org.dumm.test.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of {@code pretest.dat}, {@code posttest.dat} ({@code host::command}) or
 * {@code evaltest.dat} ({@code host::command::pattern::hit}). The host is before the first
 * {@code ::}; in evaltest lines the hit is after the last and the pattern between the last two,
 * so a command may itself contain {@code ::} (an IPv6 address), a pattern may not. Host, command
 * and hit are trimmed, the pattern is kept as written.
 *
 * @param file    the file, for messages
 * @param line    its line number (1-based)
 * @param text    the line as written
 * @param host    scenario host name
 * @param command shell command line, placeholders not yet replaced
 * @param pattern grep BRE, null in pre-/posttest lines
 * @param hit     YES, NO or a count; null in pre-/posttest lines
 */
record DatLine(Path file, int line, String text, String host, String command, String pattern, String hit) {

    static final String SEP = "::";

    /** {@code file:line: text}, what a report shows for a failing line. */
    String where() {
        return file.getFileName() + ":" + line + ": " + text;
    }

    boolean yes() {
        return "YES".equals(hit);
    }

    boolean no() {
        return "NO".equals(hit);
    }

    int count() {
        return Integer.parseInt(hit);
    }

    static List<DatLine> read(Path file, boolean eval, boolean required) {
        if (!Files.exists(file)) {
            if (required) {
                throw new ScenarioFormatException(file, 0, "missing");
            }
            return List.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ScenarioFormatException(file, 0, "cannot read: " + e.getMessage());
        }
        List<DatLine> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i);
            String s = text.strip();
            if (s.isEmpty() || s.startsWith("#")) {
                continue;
            }
            out.add(eval ? evalLine(file, i + 1, s) : plainLine(file, i + 1, s));
        }
        return List.copyOf(out);
    }

    private static DatLine plainLine(Path file, int line, String s) {
        int sep = s.indexOf(SEP);
        if (sep < 0) {
            throw new ScenarioFormatException(file, line, "expected host::command: " + s);
        }
        String host = host(file, line, s.substring(0, sep));
        String command = s.substring(sep + SEP.length()).strip();
        if (command.isEmpty()) {
            throw new ScenarioFormatException(file, line, "empty command: " + s);
        }
        return new DatLine(file, line, s, host, command, null, null);
    }

    private static DatLine evalLine(Path file, int line, String s) {
        int first = s.indexOf(SEP);
        int last = s.lastIndexOf(SEP);
        int second = first < 0 ? -1 : s.lastIndexOf(SEP, last - 1);
        if (first < 0 || second <= first) {
            throw new ScenarioFormatException(file, line, "expected host::command::pattern::hit: " + s);
        }
        String host = host(file, line, s.substring(0, first));
        String command = s.substring(first + SEP.length(), second).strip();
        String pattern = s.substring(second + SEP.length(), last);
        String hit = s.substring(last + SEP.length()).strip();
        if (command.isEmpty()) {
            throw new ScenarioFormatException(file, line, "empty command: " + s);
        }
        if (!hit.equals("YES") && !hit.equals("NO") && !hit.matches("[0-9]{1,6}")) {
            throw new ScenarioFormatException(file, line, "hit must be YES, NO or a count, not '" + hit + "': " + s);
        }
        try {
            BasicRegex.compile(pattern);
        } catch (IllegalArgumentException e) {
            throw new ScenarioFormatException(file, line, "bad pattern '" + pattern + "' (" + e.getMessage() + "): " + s);
        }
        return new DatLine(file, line, s, host, command, pattern, hit);
    }

    private static String host(Path file, int line, String raw) {
        String host = raw.strip();
        if (!host.matches("[a-z][a-z0-9_-]*")) {
            throw new ScenarioFormatException(file, line, "bad host name '" + host + "'");
        }
        return host;
    }
}
