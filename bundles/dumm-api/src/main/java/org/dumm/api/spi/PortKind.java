package org.dumm.api.spi;

/** The kind of host device at the host's end of a guest's interface, as its backend needs it. */
public enum PortKind {
    /** A persistent TAP ({@link TapDriver}) the guest's process opens (UML). */
    TAP,
    /**
     * A veth pair ({@link VethDriver}): the host end on the bridge under the interface's host
     * name, the peer handed into the guest's network namespace by the backend (netns).
     */
    VETH
}
