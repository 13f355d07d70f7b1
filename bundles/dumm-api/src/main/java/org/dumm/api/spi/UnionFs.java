package org.dumm.api.spi;

import java.nio.file.Path;
import java.util.List;

/**
 * Overlay mounts that form a guest's copy-on-write root, mounted in-process with mount(2).
 *
 * <p>Work directories: {@link LayerStack#work()} is created when missing and cleared of stale
 * overlayfs state; one that a mounted overlay uses, or that holds other files, is refused
 * (INVALID_STATE). A stack replaced while busy lives on, lazily detached, as long as processes
 * hold its files, and keeps its work dir: a new stack needs a work dir no earlier stack used.
 * Paths must be absolute and free of ':', ',', '\\' and line breaks (INVALID_ARGUMENT).
 * Only overlays this service mounted are unmounted or switched; others are NOT_OWNED.
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

    /**
     * Dumm's overlay mount points at or below {@code root} (Dumm's working directory), newest
     * first, so that unmounting them in this order also takes stale ones left by a crash.
     */
    List<Path> mountsUnder(Path root);
}
