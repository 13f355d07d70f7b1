package org.dumm.test.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scenario's {@code test.conf}: shell variable assignments, {@code NAME=value},
 * {@code NAME="a b"} or {@code NAME='a b'}, one a line; {@code #} lines, empty lines and
 * {@code export} are allowed. Anything else (a command, an unclosed quote, {@code $}-expansion)
 * is an error with file and line: the file is read, never run.
 */
record TestConf(Map<String, String> vars, List<String> warnings) {

    /** Variables the runner uses. */
    static final Set<String> KNOWN = Set.of("VIRTHOSTS", "IPSECHOSTS", "TCPDUMPHOSTS", "DIAGRAM", "SWANCTL", "IPV6");
    /** Variables of the format the runner does not act on: a warning each. */
    static final Set<String> IGNORED = Set.of("DBHOSTS", "RADIUSHOSTS");

    private static final Pattern ASSIGN = Pattern.compile("(?:export\\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)");

    static TestConf read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ScenarioFormatException(file, 0, "cannot read: " + e.getMessage());
        }
        Map<String, String> vars = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = ASSIGN.matcher(line);
            if (!m.matches()) {
                throw new ScenarioFormatException(file, i + 1, "not a variable assignment: " + line);
            }
            String value = value(file, i + 1, m.group(2).strip());
            vars.put(m.group(1), value);
            if (IGNORED.contains(m.group(1)) && !value.isBlank()) {
                warnings.add(file.getFileName() + ":" + (i + 1) + ": " + m.group(1) + " is not supported, ignored");
            }
        }
        if (!vars.containsKey("VIRTHOSTS") || vars.get("VIRTHOSTS").isBlank()) {
            throw new ScenarioFormatException(file, 0, "VIRTHOSTS is not set");
        }
        return new TestConf(Map.copyOf(vars), List.copyOf(warnings));
    }

    private static String value(Path file, int line, String raw) {
        if (raw.startsWith("\"") || raw.startsWith("'")) {
            char q = raw.charAt(0);
            int end = raw.indexOf(q, 1);
            if (end < 0) {
                throw new ScenarioFormatException(file, line, "unclosed quote: " + raw);
            }
            String rest = raw.substring(end + 1).strip();
            if (!rest.isEmpty() && !rest.startsWith("#")) {
                throw new ScenarioFormatException(file, line, "text after the closing quote: " + rest);
            }
            raw = raw.substring(1, end);
            if (q == '\'') {
                return raw;
            }
        } else {
            int hash = raw.indexOf(" #");
            raw = hash >= 0 ? raw.substring(0, hash).strip() : raw;
            if (raw.contains(" ") || raw.contains("\t")) {
                throw new ScenarioFormatException(file, line, "unquoted value with spaces: " + raw);
            }
        }
        if (raw.contains("$") || raw.contains("`")) {
            throw new ScenarioFormatException(file, line, "shell expansion is not supported: " + raw);
        }
        return raw;
    }

    /** A space-separated list variable, empty when unset. */
    List<String> list(String name) {
        String v = vars.getOrDefault(name, "").strip();
        return v.isEmpty() ? List.of() : Arrays.asList(v.split("\\s+"));
    }

    String get(String name) {
        return vars.getOrDefault(name, "");
    }

    boolean flag(String name) {
        return "1".equals(get(name).strip()) || "yes".equalsIgnoreCase(get(name).strip());
    }
}
