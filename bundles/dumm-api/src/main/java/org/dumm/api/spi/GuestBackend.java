package org.dumm.api.spi;

import java.nio.file.Path;
import java.util.Optional;

import org.dumm.api.KernelModules;

/**
 * A kind of guest (whiteboard service with property {@link #BACKEND_PROPERTY}). The mesh tracks
 * backends dynamically: they may come and go while guests keep running, because a guest's
 * process does not belong to the backend's bundle and is re-attached when it returns.
 */
public interface GuestBackend {

    /** Service property holding the backend's name, e.g. {@code uml}. */
    String BACKEND_PROPERTY = "dumm.backend";

    /** The backend's name, equal to its {@link #BACKEND_PROPERTY}. */
    String name();

    /**
     * The kind of host device its guests' interfaces need: the mesh makes that kind for each
     * interface (before {@link #start}, and for a hot-plug before {@link GuestHandle#plugInterfaceUp}
     * returns its device) and keeps it in the owned-device ledger. TAP unless a backend says otherwise.
     */
    default PortKind portKind() {
        return PortKind.TAP;
    }

    /**
     * Prepares (idempotently) and returns the read-only layer this backend needs on top of every
     * guest's root (init wrapper, exec agent), below {@code workDir}; null if it needs none.
     * Called from many threads at once by a bulk start: concurrent calls must agree on one result.
     */
    Path bootLayer(Path workDir);

    /**
     * The modules of {@code kernel} its guests should see: from {@code directory} when the user
     * named one (NOT_FOUND when it is not a directory, INVALID_ARGUMENT when the kernel's release
     * cannot be told), else the ones the backend finds for that kernel; empty when the kernel has
     * none (it boots without) or the backend's guests use the host's kernel.
     */
    default Optional<KernelModules> kernelModules(Path kernel, Path directory) {
        return Optional.empty();
    }

    /**
     * Prepares (idempotently, from many threads at once) and returns the read-only layer that
     * puts {@code modules} at {@code /lib/modules/<release>} of a root over {@code master},
     * below {@code workDir}; shared by every guest with the same modules and master layout.
     */
    default Path kernelLayer(Path workDir, KernelModules modules, Path master) {
        throw new UnsupportedOperationException("backend '" + name() + "' has no kernel layer");
    }

    /**
     * Boots a guest and returns once it answers (exec-ready). On failure (bad kernel, panic,
     * timeout) the process is gone, runtime files are removed, and the error carries the tail of
     * the console log.
     */
    GuestHandle start(GuestSpec spec);

    /**
     * Adopts a guest that is still running from an earlier life of Dumm (its run dir tells the
     * pid; it must answer). Returns empty if it is not running; its stale runtime files are then
     * removed.
     */
    Optional<GuestHandle> attach(GuestSpec spec);
}
