package org.dumm.api;

/** Which way along an interface's cable an impairment acts, seen from the guest. */
public enum LinkDirection {
    /** Packets coming into the guest (from its bridge). */
    IN,
    /** Packets the guest sends. */
    OUT,
    /** Both ways, each with the same settings. */
    BOTH
}
