package org.dumm.api.spi;

import java.nio.file.Path;

/**
 * The directories that make one guest's root filesystem.
 *
 * @param guest     guest name
 * @param master    the master's directory (read-only lowest layer)
 * @param diff      the guest's private writable layer
 * @param workBase  directory under which work directories for the guest's stacks are made
 * @param union     mount point handed to the guest as its root
 * @param bootLayer the backend's read-only top layer (init wrapper, agent), or null
 * @param kernelLayer the read-only layer of what the guest's kernel needs in its root (its
 *                  modules), just above the master; or null
 */
public record GuestRoot(String guest, Path master, Path diff, Path workBase, Path union, Path bootLayer,
                        Path kernelLayer) {

    /** A root without a kernel layer. */
    public GuestRoot(String guest, Path master, Path diff, Path workBase, Path union, Path bootLayer) {
        this(guest, master, diff, workBase, union, bootLayer, null);
    }
}
