package org.dumm.test.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Finds and reads scenario directories. A scenario is a directory with a {@code test.conf};
 * {@code evaltest.dat} is required too, {@code description.txt}, {@code pretest.dat} and
 * {@code posttest.dat} may be missing (empty), a {@code checks.yaml} adds declarative checks.
 * A directory with a {@code checks.yaml} and no {@code test.conf} (a lab's) is a run of its
 * checks alone.
 */
final class ScenarioParser {

    static final String CONF = "test.conf";

    private ScenarioParser() {
    }

    /** A found scenario directory with its category, not read yet. */
    record Found(Path dir, String category) {
    }

    /** The scenarios under {@code path}: itself when it is one, else its subdirectories that are, sorted. */
    static List<Found> find(Path path) {
        Path p = path.toAbsolutePath().normalize();
        if (!Files.isDirectory(p)) {
            throw new IllegalArgumentException(path + ": not a directory");
        }
        if (isScenario(p)) {
            Path parent = p.getParent();
            return List.of(new Found(p, parent == null || parent.getFileName() == null ? "" : parent.getFileName().toString()));
        }
        List<Found> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(p)) {
            for (Path d : s.filter(ScenarioParser::isScenario)
                    .sorted(Comparator.comparing(Path::toString)).toList()) {
                // scenarios do not nest: hosts/… below a scenario is its own files
                if (out.stream().anyMatch(f -> d.startsWith(f.dir()))) {
                    continue;
                }
                Path rel = p.relativize(d.getParent());
                String cat = p.getFileName() + (rel.toString().isEmpty() ? "" : "/" + rel);
                out.add(new Found(d, cat));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(path + ": no scenario (no test.conf or " + Checks.FILE + ") in it");
        }
        return out;
    }

    static boolean isScenario(Path dir) {
        return Files.isRegularFile(dir.resolve(CONF)) || Files.isRegularFile(dir.resolve(Checks.FILE));
    }

    /** Reads one scenario; ScenarioFormatException with file and line for what is missing or malformed. */
    static Scenario read(Found found) {
        Path dir = found.dir();
        TestConf conf = TestConf.read(dir.resolve(CONF));
        String description = "";
        Path desc = dir.resolve("description.txt");
        if (Files.isRegularFile(desc)) {
            try {
                description = Files.readString(desc, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ScenarioFormatException(desc, 0, "cannot read: " + e.getMessage());
            }
        }
        List<DatLine> pre = DatLine.read(dir.resolve("pretest.dat"), false, false);
        List<DatLine> eval = DatLine.read(dir.resolve("evaltest.dat"), true, true);
        List<DatLine> post = DatLine.read(dir.resolve("posttest.dat"), false, false);
        Map<String, List<String>> files = hostFiles(dir.resolve("hosts"));
        List<String> hosts = conf.list("VIRTHOSTS");
        for (String h : files.keySet()) {
            if (!hosts.contains(h)) {
                throw new ScenarioFormatException(dir.resolve("hosts").resolve(h), 0, "host " + h + " is not in VIRTHOSTS");
            }
        }
        for (String c : conf.list("TCPDUMPHOSTS")) {
            String h = c.contains(":") ? c.substring(0, c.indexOf(':')) : c;
            if (!hosts.contains(h)) {
                throw new ScenarioFormatException(dir.resolve(CONF), 0, "TCPDUMPHOSTS host " + h + " is not in VIRTHOSTS");
            }
        }
        return new Scenario(dir, found.category(), dir.getFileName().toString(), conf, description, pre, eval, post, files);
    }

    private static Map<String, List<String>> hostFiles(Path hostsDir) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (!Files.isDirectory(hostsDir)) {
            return out;
        }
        try (Stream<Path> hosts = Files.list(hostsDir)) {
            for (Path h : hosts.filter(Files::isDirectory).sorted().toList()) {
                try (Stream<Path> s = Files.walk(h)) {
                    out.put(h.getFileName().toString(), s.filter(Files::isRegularFile).map(f -> h.relativize(f).toString())
                            .sorted().toList());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
