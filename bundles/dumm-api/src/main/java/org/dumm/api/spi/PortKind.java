package org.dumm.api.spi;

/** The kind of host device at the host's end of a guest's interface, as its backend needs it. */
public enum PortKind {
    /** A persistent TAP ({@link TapDriver}) the guest's process opens (UML). */
    TAP,
    /**
     * A veth pair ({@link VethDriver}): the host end on the bridge under the interface's host
     * name. For an interface plugged into a running guest the mesh makes the peer directly in the
     * network namespace of {@link GuestHandle#pid()}, named and addressed as the interface (down: the backend sets it up);
     * the peers of the interfaces a guest boots with are made in the host's namespace
     * ({@link VethDriver#peerName}) and handed in by the backend (netns).
     */
    VETH
}
