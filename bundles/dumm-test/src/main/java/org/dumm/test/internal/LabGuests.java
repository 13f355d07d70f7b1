package org.dumm.test.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.dumm.lab.LabInfo;

/** A lab directory's devices and their guests, from the labs Dumm remembers (a lab's guests are named after it). */
final class LabGuests {

    private LabGuests() {
    }

    /** Device to guest of the lab applied from {@code dir} (or its lab.conf); empty when none was. */
    static Map<String, String> of(List<LabInfo> labs, Path dir) {
        Path wanted = dir.toAbsolutePath().normalize();
        for (LabInfo lab : labs) {
            Path source = Path.of(lab.source()).toAbsolutePath().normalize();
            if (!Files.isDirectory(source) && source.getParent() != null) {
                source = source.getParent();
            }
            if (source.equals(wanted)) {
                Map<String, String> out = new LinkedHashMap<>();
                lab.devices().forEach(d -> out.put(d.name(), d.guest()));
                return out;
            }
        }
        return Map.of();
    }
}
