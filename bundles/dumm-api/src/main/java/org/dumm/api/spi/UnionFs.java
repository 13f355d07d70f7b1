package org.dumm.api.spi;

import java.nio.file.Path;
import java.util.List;

/**
 * Overlay mounts that form a guest's copy-on-write root, mounted in-process with mount(2).
 */
public interface UnionFs {

    /**
     * Mounts {@code stack} at {@code target} (created if missing). On failure nothing stays
     * mounted and no directory it created remains. NOT_FOUND names a missing layer's path.
     */
    void mount(LayerStack stack, Path target);

    /**
     * Replaces the stack mounted at {@code target} while processes (a running guest) keep using
     * it: the new stack is mounted beside, the old one detached lazily, the new one moved over.
     */
    void switchStack(Path target, LayerStack newStack);

    /** Unmounts {@code target}, detaching lazily if it is busy. Absent mounts are ignored. */
    void unmount(Path target);

    /** True when an overlay is mounted at {@code target}. */
    boolean isMounted(Path target);

    /** The stack mounted at {@code target}, as the kernel reports it. */
    LayerStack stackAt(Path target);

    /** Overlay mount points at or below {@code root} (Dumm's working directory). */
    List<Path> mountsUnder(Path root);
}
