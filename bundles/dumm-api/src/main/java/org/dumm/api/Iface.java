package org.dumm.api;

import java.util.List;

/**
 * One guest network interface and the host TAP device behind it.
 *
 * @param guest     owning guest
 * @param name      name inside the guest ({@code eth0})
 * @param tap       host TAP device name ({@code alice-eth0}, or a short derived name if that is over 15 bytes)
 * @param bridge    bridge the TAP is attached to, or {@code null} when not connected
 * @param mac       MAC address inside the guest, {@code aa:bb:cc:dd:ee:ff}
 * @param transport UML transport
 * @param addresses addresses in CIDR form ({@code 10.1.0.10/16}, {@code fec1::10/64})
 * @param link      carrier and impairment of its cable
 */
public record Iface(String guest, String name, String tap, String bridge, String mac,
                   Transport transport, List<String> addresses, LinkState link) {
    public Iface {
        addresses = List.copyOf(addresses);
        link = link == null ? LinkState.DEFAULT : link;
    }

    /** An interface with a clean, plugged-in cable. */
    public Iface(String guest, String name, String tap, String bridge, String mac,
                 Transport transport, List<String> addresses) {
        this(guest, name, tap, bridge, mac, transport, addresses, LinkState.DEFAULT);
    }
}
