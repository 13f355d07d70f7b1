package org.dumm.lab;

import java.util.Map;
import java.util.Set;

/**
 * How to apply a source: the lab's name (null: LAB_NAME, else the directory's name made valid),
 * image-to-master mappings that win over {@code image.*} in etc/org.dumm.lab.cfg, and devices
 * left out (as if the source did not name them).
 */
public record LabOptions(String name, Map<String, String> images, Set<String> exclude) {

    public LabOptions {
        images = images == null ? Map.of() : Map.copyOf(images);
        exclude = exclude == null ? Set.of() : Set.copyOf(exclude);
    }

    public LabOptions(String name, Map<String, String> images) {
        this(name, images, Set.of());
    }

    public static LabOptions defaults() {
        return new LabOptions(null, Map.of());
    }
}
