package org.dumm.api.spi;

import java.nio.file.Path;
import java.util.List;

/**
 * An overlay stack: read-only lower directories, top first, and one writable upper with its
 * work directory (same filesystem as the upper, empty or owned by this stack alone).
 *
 * @param lowers read-only layers, top first
 * @param upper  writable layer
 * @param work   overlayfs work directory for {@code upper}
 */
public record LayerStack(List<Path> lowers, Path upper, Path work) {
    public LayerStack {
        lowers = List.copyOf(lowers);
    }
}
