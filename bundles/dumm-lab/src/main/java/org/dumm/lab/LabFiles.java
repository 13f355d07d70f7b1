package org.dumm.lab;

import java.nio.file.Path;

/**
 * The host files a device (or, for {@code shared}, every device) takes from its lab: a tree copied
 * into its root (for {@code shared}: shown at {@code /shared}), the script run at each boot after
 * its interfaces are up, and the one run on a graceful stop. Null: none.
 */
public record LabFiles(Path files, Path startup, Path shutdown) {

    public static final LabFiles NONE = new LabFiles(null, null, null);
}
