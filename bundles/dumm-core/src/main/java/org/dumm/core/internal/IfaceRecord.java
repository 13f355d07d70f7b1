package org.dumm.core.internal;

import java.util.ArrayList;
import java.util.List;

import org.dumm.api.Iface;
import org.dumm.api.Transport;

/** One interface of a guest as the mesh keeps it (definition plus link and addresses). */
record IfaceRecord(String name, String tap, String mac, Transport transport, String bridge, List<String> addresses) {

    IfaceRecord {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        transport = transport == null ? Transport.TUNTAP : transport;
    }

    IfaceRecord withBridge(String newBridge) {
        return new IfaceRecord(name, tap, mac, transport, newBridge, addresses);
    }

    IfaceRecord withAddress(String cidr, boolean add) {
        List<String> list = new ArrayList<>(addresses);
        list.remove(cidr);
        if (add) {
            list.add(cidr);
        }
        return new IfaceRecord(name, tap, mac, transport, bridge, list);
    }

    Iface toApi(String guest) {
        return new Iface(guest, name, tap, bridge, mac, transport, addresses);
    }
}
