package org.dumm.api;

/** How a guest interface is tied to its host TAP device. */
public enum Transport {
    /** UML's legacy {@code tuntap} transport: simple, ~1.6 Gbit/s guest to guest here. */
    TUNTAP,
    /** UML's vector transport ({@code transport=tap,gro=1}): ~4.9 Gbit/s guest to guest here. */
    VECTOR
}
