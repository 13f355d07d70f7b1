package org.dumm.lab;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A lab read from its source: its name, metadata ({@code LAB_*}), devices in source order, the
 * start order from {@code lab.dep} (device to the devices it waits for) and the warnings the
 * reader gave (options Dumm cannot honour, each naming its line).
 */
public record Lab(String name, Path source, Map<String, String> metadata, List<LabDevice> devices,
                  Map<String, List<String>> dependencies, List<String> warnings) {

    public Lab {
        metadata = Map.copyOf(metadata);
        devices = List.copyOf(devices);
        dependencies = Map.copyOf(dependencies);
        warnings = List.copyOf(warnings);
    }

    public LabDevice device(String name) {
        return devices.stream().filter(d -> d.name().equals(name)).findFirst().orElse(null);
    }
}
