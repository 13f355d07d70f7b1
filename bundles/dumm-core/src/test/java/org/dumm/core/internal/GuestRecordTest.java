package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;

import java.util.List;

import org.dumm.api.Transport;
import org.junit.Test;

public class GuestRecordTest {

    private static IfaceRecord iface(String name, String bridge) {
        return new IfaceRecord(name, "g-" + name, "52:54:00:00:00:01", Transport.TUNTAP, bridge, List.of());
    }

    private static List<String> names(GuestRecord g) {
        return g.interfaces().stream().map(IfaceRecord::name).toList();
    }

    @Test
    public void interfacesStayInNumericOrder() {
        GuestRecord g = new GuestRecord("g", "uml", "/k", "/m", 64, List.of(), List.of());
        for (String n : List.of("eth10", "eth2", "eth0", "eth99", "eth9", "eth1")) {
            g = g.withIface(iface(n, null));
        }
        assertEquals(List.of("eth0", "eth1", "eth2", "eth9", "eth10", "eth99"), names(g));
    }

    @Test
    public void anInterfaceOfTheSameNameIsReplacedInPlace() {
        GuestRecord g = new GuestRecord("g", "uml", "/k", "/m", 64, List.of(),
                List.of(iface("eth0", null), iface("eth1", null), iface("eth2", null)));
        g = g.withIface(iface("eth1", "br0"));
        assertEquals(List.of("eth0", "eth1", "eth2"), names(g));
        assertEquals("br0", g.iface("eth1").orElseThrow().bridge());
        assertEquals(List.of("eth0", "eth2"), names(g.withoutIface("eth1")));
    }
}
