package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Transport;
import org.dumm.nativ.net.DeviceMarker;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The classic VPN testbed on a Debian bookworm master with Debian's strongSwan, systemd as init:
 * moon and sun are gateways between the "internet" segment and the nets 10.1.0.0/16 (alice) and
 * 10.2.0.0/16 (bob). Guests, bridges and TAPs are real; names start with {@code dmd}.
 */
public class DebianTestbedTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmdtest:", 3913);
    private static final Duration EXEC = Duration.ofSeconds(30);
    private static final String MASTER = "dmddeb";
    private static final List<String> HOSTS = List.of("dmdmoon", "dmdsun", "dmdalice", "dmdbob");

    private static MeshFixture fx;
    private static MeshManager mesh;

    @BeforeClass
    public static void testbed() throws Exception {
        fx = new MeshFixture("dmd", MARKER);
        mesh = fx.mesh;
        DebianMasters.provide(mesh, MASTER);
        for (String b : List.of("dmdinet", "dmdnet1", "dmdnet2")) {
            mesh.createBridge(b);
        }
        for (String h : HOSTS) {
            mesh.createGuest(new GuestDefinition(h, null, null, MASTER, 128, List.of()));
        }
        iface("dmdmoon", "eth0", "dmdinet", "192.168.0.1/24");
        iface("dmdmoon", "eth1", "dmdnet1", "10.1.0.1/16");
        iface("dmdsun", "eth0", "dmdinet", "192.168.0.2/24");
        iface("dmdsun", "eth1", "dmdnet2", "10.2.0.1/16");
        iface("dmdalice", "eth0", "dmdnet1", "10.1.0.10/16");
        iface("dmdbob", "eth0", "dmdnet2", "10.2.0.10/16");
        long t0 = System.nanoTime();
        assertEquals(Map.of(), mesh.startGuests(HOSTS, line -> { }));
        long ready = System.nanoTime();
        for (String h : HOSTS) {
            mesh.awaitStartup(h, Duration.ofSeconds(120));
        }
        System.out.printf("4 Debian guests exec-ready in %d ms, booted in %d ms%n", (ready - t0) / 1_000_000,
                (System.nanoTime() - t0) / 1_000_000);
        out("dmdalice", "ip route add default via 10.1.0.1");
        out("dmdbob", "ip route add default via 10.2.0.1");
        // each gateway routes the other's net over the internet; the firewall decides what passes
        gateway("dmdmoon", "10.2.0.0/16 via 192.168.0.2");
        gateway("dmdsun", "10.1.0.0/16 via 192.168.0.1");
        swanctl("dmdmoon", "moon", "sun", "192.168.0.2", "10.1.0.0/16", "10.2.0.0/16");
        swanctl("dmdsun", "sun", "moon", "192.168.0.1", "10.2.0.0/16", "10.1.0.0/16");
    }

    @AfterClass
    public static void tearDown() {
        if (fx != null) {
            fx.close();
        }
    }

    private static void iface(String guest, String iface, String bridge, String cidr) {
        mesh.addInterface(guest, iface, bridge, null, Transport.TUNTAP);
        mesh.addAddress(guest, iface, cidr);
    }

    /** Forwarding on, a route, and rules that drop all forwarding not protected by IPsec. */
    private static void gateway(String guest, String route) {
        out(guest, "sysctl -qw net.ipv4.ip_forward=1 && ip route add " + route);
        out(guest, """
                iptables-restore <<'EOF'
                *filter
                :INPUT ACCEPT [0:0]
                :FORWARD DROP [0:0]
                :OUTPUT ACCEPT [0:0]
                -A FORWARD -m policy --dir in --pol ipsec --proto esp -j ACCEPT
                -A FORWARD -m policy --dir out --pol ipsec --proto esp -j ACCEPT
                COMMIT
                EOF""");
    }

    private static void swanctl(String guest, String me, String peer, String peerAddr, String localTs, String remoteTs) {
        out(guest, "cat > /etc/swanctl/conf.d/dmd.conf <<'EOF'\n"
                + "connections {\n"
                + "  net-net {\n"
                + "    version = 2\n"
                + "    remote_addrs = " + peerAddr + "\n"
                + "    local { auth = psk\n id = " + me + " }\n"
                + "    remote { auth = psk\n id = " + peer + " }\n"
                + "    children { net-net { local_ts = " + localTs + "\n remote_ts = " + remoteTs + "\n esp_proposals = aes128gcm16 } }\n"
                + "  }\n"
                + "}\n"
                + "secrets { ike-dmd { id-1 = moon\n id-2 = sun\n secret = \"dmd-testbed-psk-0123456789\" } }\n"
                + "EOF");
        // charon-systemd starts with the guest; its vici socket may come a moment after boot
        out(guest, "for i in $(seq 50); do [ -S /var/run/charon.vici ] && break; sleep 0.2; done; swanctl --load-all");
    }

    @Test
    public void theGuestsAreDebianOnTheirOwnNamesWithLegacyIptablesAndTheirKernelsModules() {
        assertEquals("12", out("dmdmoon", "cut -d. -f1 /etc/debian_version").trim());
        assertEquals("systemd\n", out("dmdmoon", "cat /proc/1/comm"));
        assertEquals("dmdsun\n", out("dmdsun", "hostname"));
        assertTrue(out("dmdsun", "iptables --version").contains("legacy"));
        assertTrue(out("dmdsun", "ip6tables --version").contains("legacy"));
        String state = out("dmdmoon", "systemctl is-system-running || true").trim();
        assertTrue("systemd: " + state + "; failed: " + out("dmdmoon", "systemctl --failed --no-legend || true"),
                state.equals("running") || state.equals("degraded"));
        assertEquals("active\n", out("dmdmoon", "systemctl is-active strongswan"));
        assertTrue(out("dmdmoon", "lsmod").contains("xt_policy"));
        // made for UML: root without a password on the console, no serial getty, nothing in fstab
        assertTrue(out("dmdbob", "passwd -S root").startsWith("root NP "));
        assertEquals("masked\n", out("dmdbob", "systemctl is-enabled serial-getty@ttyS0.service || true"));
        assertEquals("", out("dmdbob", "grep -v '^#' /etc/fstab || true"));
    }

    @Test
    public void moonAndSunTunnelAliceToBobAndNothingPassesWithoutTheTunnel() {
        assertFalse("the firewall drops unprotected forwarding",
                mesh.exec("dmdalice", "ping -c 2 -W 1 10.2.0.10", EXEC).succeeded());
        String up = out("dmdmoon", "swanctl --initiate --child net-net --timeout 20");
        assertTrue(up, up.contains("initiate completed successfully"));
        String sas = out("dmdsun", "swanctl --list-sas");
        assertTrue(sas, sas.contains("ESTABLISHED") && sas.contains("INSTALLED"));

        out("dmdsun", "rm -f /tmp/esp.log; (tcpdump -n -l -i eth0 esp > /tmp/esp.log 2>&1 &);"
                + " for i in $(seq 50); do grep -q 'listening on' /tmp/esp.log && break; sleep 0.1; done");
        ExecResult ping = mesh.exec("dmdalice", "ping -c 3 -W 2 10.2.0.10", EXEC);
        assertTrue("alice to bob through the tunnel: " + ping.stdoutText(), ping.succeeded());
        String esp = out("dmdsun", "sleep 0.5; pkill -INT -x tcpdump; sleep 0.5; cat /tmp/esp.log");
        assertTrue(esp, esp.contains("192.168.0.1 > 192.168.0.2: ESP"));
        assertTrue(esp, esp.contains("192.168.0.2 > 192.168.0.1: ESP"));

        out("dmdmoon", "swanctl --terminate --ike net-net --timeout 20");
        assertFalse("with the tunnel down the firewall drops the ping again",
                mesh.exec("dmdalice", "ping -c 2 -W 1 10.2.0.10", EXEC).succeeded());
    }

    @Test
    public void debianGuestsTalkIpv6() {
        mesh.addAddress("dmdmoon", "eth0", "fec0::1/64");
        mesh.addAddress("dmdsun", "eth0", "fec0::2/64");
        ExecResult ping = mesh.exec("dmdmoon", "for i in $(seq 30); do ping -6 -c 1 -W 1 fec0::2 >/dev/null && break; done;"
                + " ping -6 -c 2 -W 2 fec0::2", EXEC);
        assertTrue("moon to sun over IPv6: " + ping.stdoutText() + ping.stderrText(), ping.succeeded());
        assertTrue(out("dmdsun", "ip -6 addr show dev eth0").contains("fec0::2/64"));
    }

    @Test
    public void netemInAGuestDelaysItsPackets() {
        double before = rtt("dmdalice", "10.1.0.1");
        out("dmdalice", "tc qdisc add dev eth0 root netem delay 20ms");
        try {
            double after = rtt("dmdalice", "10.1.0.1");
            System.out.printf("netem 20ms: RTT %.2f ms -> %.2f ms%n", before, after);
            assertTrue("RTT " + before + " -> " + after, after - before > 15 && after - before < 45);
        } finally {
            out("dmdalice", "tc qdisc del dev eth0 root");
        }
    }

    /** Average RTT of five pings, in milliseconds. */
    private static double rtt(String guest, String target) {
        String s = out(guest, "ping -c 5 -i 0.2 -W 2 " + target);
        Matcher m = Pattern.compile("= [0-9.]+/([0-9.]+)/").matcher(s);
        assertTrue(s, m.find());
        return Double.parseDouble(m.group(1));
    }

    private static String out(String guest, String command) {
        ExecResult r = mesh.exec(guest, command, EXEC);
        assertEquals("'" + command + "' in " + guest + ": " + r.stdoutText() + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }
}
