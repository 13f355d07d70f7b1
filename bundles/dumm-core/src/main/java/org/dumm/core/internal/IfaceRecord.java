package org.dumm.core.internal;

import java.util.ArrayList;
import java.util.List;

import org.dumm.api.Iface;
import org.dumm.api.LinkState;
import org.dumm.api.Transport;
import org.dumm.api.spi.InterfaceSpec;

/** One interface of a guest as the mesh keeps it (definition plus link, addresses and cable state). */
record IfaceRecord(String name, String tap, String mac, Transport transport, String bridge, List<String> addresses,
                   LinkState link) {

    IfaceRecord {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        transport = transport == null ? Transport.TUNTAP : transport;
        link = link == null ? LinkState.DEFAULT : link;
    }

    IfaceRecord(String name, String tap, String mac, Transport transport, String bridge, List<String> addresses) {
        this(name, tap, mac, transport, bridge, addresses, LinkState.DEFAULT);
    }

    IfaceRecord withBridge(String newBridge) {
        return new IfaceRecord(name, tap, mac, transport, newBridge, addresses, link);
    }

    IfaceRecord withAddress(String cidr, boolean add) {
        List<String> list = new ArrayList<>(addresses);
        list.remove(cidr);
        if (add) {
            list.add(cidr);
        }
        return new IfaceRecord(name, tap, mac, transport, bridge, list, link);
    }

    IfaceRecord withLink(LinkState newLink) {
        return new IfaceRecord(name, tap, mac, transport, bridge, addresses, newLink);
    }

    /** What a backend needs to plug this interface into a guest. */
    InterfaceSpec spec() {
        return new InterfaceSpec(name, tap, mac, transport);
    }

    Iface toApi(String guest) {
        return new Iface(guest, name, tap, bridge, mac, transport, addresses, link);
    }
}
