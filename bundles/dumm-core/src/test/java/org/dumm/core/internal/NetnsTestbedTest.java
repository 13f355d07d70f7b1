package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Transport;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.netns.internal.NetnsBackend;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The classic 8-host testbed (examples/testbed.gogo) with mixed backends: the gateways moon and
 * sun are UML guests, alice, venus, bob, carol, dave and winnetou netns guests, on the same three
 * bridges. The routing checks of the all-UML testbed (VpnTestbedIT) hold: alice and venus reach
 * bob through moon and sun (two routers: ttl 62), the internet hosts reach each other and the
 * gateways, a cut cable stops the traffic and a reconnect brings it back. Names start with
 * {@code dmx}; its own device marker; nothing left afterwards (MeshFixture's check).
 */
public class NetnsTestbedTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmxtest:", 3991);
    private static final Duration EXEC = Duration.ofSeconds(30);
    private static final List<String> UML = List.of("dmxmoon", "dmxsun");
    private static final List<String> NETNS = List.of("dmxalice", "dmxvenus", "dmxbob", "dmxcarol", "dmxdave", "dmxwinnetou");

    private MeshFixture fx;
    private MeshManager mesh;
    private NetnsBackend netns;

    @Before
    public void setUp() throws Exception {
        fx = new MeshFixture("dmx", MARKER);
        netns = new NetnsBackend(fx.veths);
        fx.restartWith(netns);
        mesh = fx.mesh;
    }

    @After
    public void tearDown() {
        try {
            fx.close();
        } finally {
            netns.deactivate();
        }
    }

    private void iface(String guest, String iface, String bridge, String cidr) {
        mesh.addInterface(guest, iface, bridge, null, Transport.TUNTAP);
        mesh.addAddress(guest, iface, cidr);
    }

    private String out(String guest, String cmd) {
        ExecResult r = mesh.exec(guest, cmd, EXEC);
        assertEquals(guest + ": " + cmd + ": " + r.stdoutText() + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }

    @Test
    public void umlGatewaysAndNetnsHostsRouteLikeTheAllUmlTestbed() throws Exception {
        for (String b : List.of("dmxinet", "dmxnetm", "dmxnets")) {
            mesh.createBridge(b);
        }
        UML.forEach(g -> mesh.createGuest(GuestDefinition.named(g)));
        NETNS.forEach(g -> mesh.createGuest(new GuestDefinition(g, NetnsBackend.NAME, null, null, 32, List.of())));
        iface("dmxmoon", "eth0", "dmxinet", "192.168.0.1/24");
        iface("dmxmoon", "eth1", "dmxnetm", "10.1.0.1/16");
        iface("dmxsun", "eth0", "dmxinet", "192.168.0.2/24");
        iface("dmxsun", "eth1", "dmxnets", "10.2.0.1/16");
        iface("dmxalice", "eth0", "dmxnetm", "10.1.0.10/16");
        iface("dmxalice", "eth1", "dmxinet", "192.168.0.50/24");
        iface("dmxvenus", "eth0", "dmxnetm", "10.1.0.20/16");
        iface("dmxbob", "eth0", "dmxnets", "10.2.0.10/16");
        iface("dmxcarol", "eth0", "dmxinet", "192.168.0.100/24");
        iface("dmxdave", "eth0", "dmxinet", "192.168.0.200/24");
        iface("dmxwinnetou", "eth0", "dmxinet", "192.168.0.150/24");
        List<String> all = new java.util.ArrayList<>(UML);
        all.addAll(NETNS);
        assertEquals(Map.of(), mesh.startGuests(all, line -> { }));
        for (String g : NETNS) {
            assertEquals("netns", mesh.guest(g).orElseThrow().backend());
        }
        assertEquals("uml", mesh.guest("dmxmoon").orElseThrow().backend());

        out("dmxmoon", "sysctl -w net.ipv4.ip_forward=1 >/dev/null && ip route add 10.2.0.0/16 via 192.168.0.2");
        out("dmxsun", "sysctl -w net.ipv4.ip_forward=1 >/dev/null && ip route add 10.1.0.0/16 via 192.168.0.1");
        out("dmxalice", "ip route add 10.2.0.0/16 via 10.1.0.1");
        out("dmxvenus", "ip route add default via 10.1.0.1");
        out("dmxbob", "ip route add default via 10.2.0.1");

        // across two routers, a UML guest each: the reply's TTL is 64 - 2
        String alice = out("dmxalice", "ping -c 2 -W 2 10.2.0.10");
        assertTrue("alice -> bob did not cross two routers:\n" + alice, alice.contains("ttl=62"));
        String venus = out("dmxvenus", "ping -c 2 -W 2 10.2.0.10");
        assertTrue("venus -> bob did not cross two routers:\n" + venus, venus.contains("ttl=62"));
        // one segment, both backends: the internet hosts, each other and the gateways
        out("dmxcarol", "ping -c 1 -W 2 192.168.0.200");
        out("dmxdave", "ping -c 1 -W 2 192.168.0.150");
        out("dmxwinnetou", "ping -c 1 -W 2 192.168.0.1 && ping -c 1 -W 2 192.168.0.2");
        out("dmxmoon", "ping -c 1 -W 2 192.168.0.100");

        // the rewire of the all-UML test: alice's cable to net-moon cut, then connected again
        mesh.disconnect("dmxalice", "eth0");
        assertFalse(mesh.exec("dmxalice", "ping -c 1 -W 1 10.2.0.10", EXEC).succeeded());
        mesh.connect("dmxalice", "eth0", "dmxnetm");
        String back = out("dmxalice", "ping -c 2 -W 2 10.2.0.10");
        assertTrue(back, back.contains("ttl=62"));
    }
}
