package org.dumm.lab;

import java.util.Map;

/**
 * How to apply a source: the lab's name (null: LAB_NAME, else the directory's name made valid)
 * and image-to-master mappings that win over {@code image.*} in etc/org.dumm.lab.cfg.
 */
public record LabOptions(String name, Map<String, String> images) {

    public LabOptions {
        images = images == null ? Map.of() : Map.copyOf(images);
    }

    public static LabOptions defaults() {
        return new LabOptions(null, Map.of());
    }
}
