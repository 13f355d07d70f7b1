package org.dumm.lab;

import java.util.List;

import org.dumm.api.LinkState;

/**
 * Interface {@code eth<index>} of a device attached to collision domain {@code cd}, with a fixed
 * MAC address or none (null: Dumm picks one), the addresses Dumm sets on it (CIDR; a Netkit lab
 * sets its own in the startup files instead) and its cable's state (carrier, impairment).
 */
public record LabLink(int index, String cd, String mac, List<String> addresses, LinkState link) {

    public LabLink {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        link = link == null ? LinkState.DEFAULT : link;
    }

    /** A plain link, as a Netkit lab.conf line gives it. */
    public LabLink(int index, String cd, String mac) {
        this(index, cd, mac, List.of(), LinkState.DEFAULT);
    }

    public String iface() {
        return "eth" + index;
    }

    public LabLink withCd(String otherCd) {
        return new LabLink(index, otherCd, mac, addresses, link);
    }
}
