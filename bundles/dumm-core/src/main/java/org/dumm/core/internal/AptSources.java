package org.dumm.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The host's apt sources, read the way apt reads them, to pick the mirror debootstrap fetches a
 * suite from. apt only reads {@code sources.list} and files in {@code sources.list.d/} ending in
 * {@code .list} (one-line format) or {@code .sources} (deb822 stanzas, {@code Enabled: no} skips
 * one); anything else there (a {@code .disabled} or {@code .save} file) is ignored, and so is it
 * here. An entry serves a suite when it is of type {@code deb}, lists that suite and has the
 * {@code main} component.
 */
final class AptSources {

    /** One enabled {@code deb} entry: a repository URI with its suites and components. */
    record Entry(String uri, List<String> suites, List<String> components, Path file) {
        boolean serves(String suite) {
            return suites.contains(suite) && components.contains("main");
        }
    }

    private AptSources() {
    }

    /** The first enabled entry of the host that serves {@code suite}'s main component. */
    static Optional<String> mirrorFor(String suite, Path etcApt) {
        return read(etcApt).stream().filter(e -> e.serves(suite)).map(Entry::uri).findFirst();
    }

    static List<Entry> read(Path etcApt) {
        List<Path> files = new ArrayList<>();
        files.add(etcApt.resolve("sources.list"));
        try (Stream<Path> s = Files.list(etcApt.resolve("sources.list.d"))) {
            s.sorted().forEach(files::add);
        } catch (IOException ignored) {
            // no sources.list.d: only sources.list counts
        }
        List<Entry> entries = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            List<String> lines;
            try {
                if (!Files.isRegularFile(f)) {
                    continue;
                }
                lines = Files.readAllLines(f);
            } catch (IOException e) {
                continue;               // unreadable: apt would complain, we just skip it
            }
            if (name.endsWith(".list")) {
                oneLine(lines, f, entries);
            } else if (name.endsWith(".sources")) {
                deb822(lines, f, entries);
            }
        }
        return entries;
    }

    /** {@code deb [opts] URI SUITE COMPONENT...} lines. */
    private static void oneLine(List<String> lines, Path f, List<Entry> out) {
        for (String raw : lines) {
            String line = stripComment(raw).trim();
            if (!line.startsWith("deb ") && !line.startsWith("deb\t")) {
                continue;       // deb-src and anything else
            }
            String rest = line.substring(4).trim();
            if (rest.startsWith("[")) {
                int end = rest.indexOf(']');
                if (end < 0) {
                    continue;
                }
                rest = rest.substring(end + 1).trim();
            }
            String[] w = rest.split("\\s+");
            if (w.length < 3) {
                continue;
            }
            out.add(new Entry(w[0], List.of(w[1]), List.of(Arrays.copyOfRange(w, 2, w.length)), f));
        }
    }

    /** Stanzas separated by blank lines; fields may continue on lines starting with a space. */
    private static void deb822(List<String> lines, Path f, List<Entry> out) {
        List<String> stanza = new ArrayList<>();
        for (String raw : lines) {
            if (raw.startsWith("#")) {
                continue;
            }
            if (raw.isBlank()) {
                stanza(stanza, f, out);
                stanza.clear();
            } else if ((raw.startsWith(" ") || raw.startsWith("\t")) && !stanza.isEmpty()) {
                stanza.set(stanza.size() - 1, stanza.get(stanza.size() - 1) + " " + raw.trim());
            } else {
                stanza.add(raw);
            }
        }
        stanza(stanza, f, out);
    }

    private static void stanza(List<String> fields, Path f, List<Entry> out) {
        String types = "", uris = "", suites = "", components = "", enabled = "yes";
        for (String field : fields) {
            int colon = field.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = field.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = field.substring(colon + 1).trim();
            switch (key) {
                case "types" -> types = value;
                case "uris" -> uris = value;
                case "suites" -> suites = value;
                case "components" -> components = value;
                case "enabled" -> enabled = value.toLowerCase(Locale.ROOT);
                default -> { }
            }
        }
        if (!List.of(types.split("\\s+")).contains("deb") || enabled.equals("no") || enabled.equals("false")) {
            return;
        }
        List<String> s = words(suites), c = words(components);
        for (String uri : words(uris)) {
            out.add(new Entry(uri, s, c, f));
        }
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }

    private static String stripComment(String line) {
        int hash = line.indexOf('#');
        return hash < 0 ? line : line.substring(0, hash);
    }
}
