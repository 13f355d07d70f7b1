package org.dumm.lab;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A lab read from its source (a Netkit/Kathará directory or a Dumm YAML file): its name, metadata
 * ({@code LAB_*}), devices in source order, the start order (device to the devices it waits for,
 * from {@code lab.dep} or {@code depends}) and the warnings the reader gave (options Dumm cannot
 * honour, each naming its line).
 *
 * @param source   the lab directory, or the YAML file
 * @param prefix   what guest and segment names start with ({@code <prefix>-<dev>}); "" for none
 * @param template a Dumm template loaded while the lab is applied, or null
 * @param shared   what every device gets: {@code /shared}, shared.startup, shared.shutdown
 */
public record Lab(String name, Path source, Map<String, String> metadata, List<LabDevice> devices,
                  Map<String, List<String>> dependencies, List<String> warnings, String prefix, String template,
                  LabFiles shared) {

    public Lab {
        metadata = Map.copyOf(metadata);
        devices = List.copyOf(devices);
        dependencies = Map.copyOf(dependencies);
        warnings = List.copyOf(warnings);
        prefix = prefix == null ? name : prefix;
        shared = shared == null ? LabFiles.NONE : shared;
    }

    public LabDevice device(String name) {
        return devices.stream().filter(d -> d.name().equals(name)).findFirst().orElse(null);
    }

    /** The same lab with other devices and start order (for --exclude). */
    public Lab with(List<LabDevice> otherDevices, Map<String, List<String>> otherDependencies, List<String> otherWarnings) {
        return new Lab(name, source, metadata, otherDevices, otherDependencies, otherWarnings, prefix, template, shared);
    }
}
