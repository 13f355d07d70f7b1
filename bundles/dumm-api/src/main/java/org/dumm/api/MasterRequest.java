package org.dumm.api;

import java.util.List;

/**
 * How to build a new master.
 *
 * @param name     master name
 * @param kind     builder
 * @param suite    Debian suite for {@link Kind#DEBOOTSTRAP} ({@code bookworm}); ignored otherwise
 * @param packages extra Debian packages to include
 */
public record MasterRequest(String name, Kind kind, String suite, List<String> packages) {
    /** Master builders. */
    public enum Kind {
        /** A tiny root made of Debian's busybox-static: boots in about a second. */
        BUSYBOX,
        /** A Debian minbase root made with debootstrap from the host's Debian mirror. */
        DEBOOTSTRAP
    }

    public MasterRequest {
        packages = packages == null ? List.of() : List.copyOf(packages);
    }
}
