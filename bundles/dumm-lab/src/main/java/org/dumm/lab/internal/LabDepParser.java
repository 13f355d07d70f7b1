package org.dumm.lab.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Netkit's {@code lab.dep}: {@code dev: dep1 dep2} lines (a device starts after the ones it names),
 * {@code #} comments. Unknown devices and cycles are errors. Also orders devices in start waves.
 */
final class LabDepParser {

    private LabDepParser() {
    }

    static Map<String, List<String>> parse(Path file, Collection<String> devices) {
        Map<String, List<String>> deps = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return deps;
        }
        List<String> lines = LabConfParser.read(file);
        for (int n = 1; n <= lines.size(); n++) {
            String line = LabConfParser.stripComment(lines.get(n - 1)).strip();
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw LabConfParser.error("lab.dep line " + n + ": malformed line (DEVICE: DEVICE...): " + line);
            }
            String device = line.substring(0, colon).strip();
            known(device, devices, n);
            List<String> on = deps.computeIfAbsent(device, k -> new ArrayList<>());
            String rest = line.substring(colon + 1).strip();
            if (!rest.isEmpty()) {
                for (String d : rest.split("\\s+")) {
                    known(d, devices, n);
                    if (!on.contains(d)) {
                        on.add(d);
                    }
                }
            }
        }
        waves(devices, deps);
        return deps;
    }

    private static void known(String device, Collection<String> devices, int line) {
        if (!devices.contains(device)) {
            throw LabConfParser.error("lab.dep line " + line + ": unknown device '" + device + "'");
        }
    }

    /**
     * Devices in start waves: each wave's devices depend only on earlier waves. A cycle is an
     * error naming it.
     */
    static List<List<String>> waves(Collection<String> devices, Map<String, List<String>> deps) {
        List<List<String>> waves = new ArrayList<>();
        Map<String, Integer> wave = new HashMap<>();
        for (String d : devices) {
            level(d, deps, wave, new ArrayList<>());
        }
        for (String d : devices) {
            int w = wave.get(d);
            while (waves.size() <= w) {
                waves.add(new ArrayList<>());
            }
            waves.get(w).add(d);
        }
        return waves;
    }

    private static int level(String d, Map<String, List<String>> deps, Map<String, Integer> wave, List<String> path) {
        Integer known = wave.get(d);
        if (known != null) {
            return known;
        }
        if (path.contains(d)) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(d), path.size()));
            cycle.add(d);
            throw LabConfParser.error("lab.dep: dependency cycle " + String.join(" -> ", cycle));
        }
        path.add(d);
        int w = 0;
        for (String on : deps.getOrDefault(d, List.of())) {
            w = Math.max(w, level(on, deps, wave, path) + 1);
        }
        path.remove(path.size() - 1);
        wave.put(d, w);
        return w;
    }
}
