package org.dumm.api;

import java.util.List;

/**
 * How to build a new master.
 *
 * @param name     master name
 * @param kind     builder
 * @param suite    Debian suite for {@link Kind#DEBOOTSTRAP} ({@code bookworm}); ignored otherwise
 * @param packages extra Debian packages to include
 * @param mirror   Debian mirror URL for {@link Kind#DEBOOTSTRAP}; null: the host's apt source that
 *                 serves the suite's main, else debootstrap's own default
 */
public record MasterRequest(String name, Kind kind, String suite, List<String> packages, String mirror) {
    /** Master builders. */
    public enum Kind {
        /** A tiny root made of Debian's busybox-static: boots in about a second. */
        BUSYBOX,
        /** A Debian minbase root made with debootstrap and fitted for UML. */
        DEBOOTSTRAP
    }

    public MasterRequest {
        packages = packages == null ? List.of() : List.copyOf(packages);
    }

    /** A request with the mirror chosen as apt would. */
    public MasterRequest(String name, Kind kind, String suite, List<String> packages) {
        this(name, kind, suite, packages, null);
    }
}
