package org.dumm.api.spi;

/** The kind of host device at the host's end of a guest's interface, as its backend needs it. */
public enum PortKind {
    /** A persistent TAP ({@link TapDriver}) the guest's process opens (UML). */
    TAP,
    /**
     * A veth pair ({@link VethDriver}): the host end on the bridge under the interface's host
     * name, the peer made directly in the network namespace of {@link GuestHandle#pid()}, named
     * and addressed as the interface (down: the backend sets it up in
     * {@link GuestHandle#plugInterfaceUp}). So the mesh makes them once the guest runs: the
     * {@link GuestSpec} of such a backend's start has no interfaces, they are plugged right after
     * it, before the guest's addresses and startup.
     */
    VETH
}
