package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dumm.api.DummException;
import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Iface;
import org.dumm.api.Impairment;
import org.dumm.api.LinkDirection;
import org.dumm.api.Transport;
import org.dumm.nativ.net.DeviceMarker;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Cables that can be cut and bent, on real UML guests: link down/up (the guest sees NO-CARRIER,
 * nothing passes, no re-plug), delay and loss in each direction, reset, and both surviving a
 * restart of Dumm. Names start with {@code dmk}; its own device marker.
 */
public class LinkRealGuestTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmktest:", 3931);
    private static final Duration EXEC = Duration.ofSeconds(60);
    private static final Pattern AVG = Pattern.compile("min/avg/max = [0-9.]+/([0-9.]+)/");
    private static final Pattern RECEIVED = Pattern.compile("([0-9]+) packets received");

    private MeshFixture fx;
    private MeshManager mesh;

    @Before
    public void setUp() throws Exception {
        fx = new MeshFixture("dmk", MARKER);
        mesh = fx.mesh;
        mesh.createBridge("dmkbr");
        mesh.createGuest(GuestDefinition.named("dmka"));
        mesh.createGuest(GuestDefinition.named("dmkb"));
        mesh.addInterface("dmka", "eth0", "dmkbr", null, Transport.TUNTAP);
        mesh.addInterface("dmkb", "eth0", "dmkbr", null, Transport.TUNTAP);
        mesh.addAddress("dmka", "eth0", "10.93.1.1/24");
        mesh.addAddress("dmkb", "eth0", "10.93.1.2/24");
    }

    @After
    public void tearDown() {
        fx.close();
    }

    @Test
    public void aLinkDownCutsTheCableWithoutUnpluggingItAndSurvivesARestart() throws Exception {
        assertEquals(Map.of(), mesh.startGuests(List.of("dmka", "dmkb"), line -> { }));
        assertTrue(ping("dmka", "10.93.1.2", 2, "0.2").succeeded());

        Iface down = mesh.setCarrier("dmka", "eth0", false);
        assertFalse(down.link().carrier());
        assertEquals("dmkbr", down.bridge());
        String link = out("dmka", "ip link show dev eth0");
        assertTrue(link, link.contains("NO-CARRIER"));
        assertFalse("the guest must not be able to reach its peer: " + link,
                ping("dmka", "10.93.1.2", 3, "0.2").succeeded());
        assertFalse(ping("dmkb", "10.93.1.1", 3, "0.2").succeeded());
        assertTrue("the TAP stays on its bridge", fx.bridges.ports("dmkbr").contains(down.tap()));
        assertFalse(mesh.guest("dmka").orElseThrow().interfaces().get(0).link().carrier());

        // a restart of Dumm keeps the cable cut (state from the disk, applied again on adoption)
        mesh = fx.restart();
        assertFalse(mesh.guest("dmka").orElseThrow().interfaces().get(0).link().carrier());
        assertFalse(ping("dmka", "10.93.1.2", 2, "0.2").succeeded());

        Iface up = mesh.setCarrier("dmka", "eth0", true);
        assertTrue(up.link().carrier());
        link = out("dmka", "ip link show dev eth0");
        assertFalse(link, link.contains("NO-CARRIER"));
        assertTrue("ping after link-up, no re-plug", pingSoon("dmka", "10.93.1.2"));

        // recorded on a stopped guest and applied at its boot
        mesh.stopGuest("dmkb", Duration.ofSeconds(10));
        mesh.setCarrier("dmkb", "eth0", false);
        mesh.startGuest("dmkb");
        assertTrue(out("dmkb", "ip link show dev eth0").contains("NO-CARRIER"));
        assertFalse(ping("dmka", "10.93.1.2", 2, "0.2").succeeded());
        mesh.setCarrier("dmkb", "eth0", true);
        assertTrue(pingSoon("dmka", "10.93.1.2"));
    }

    @Test
    public void delayAndLossEachWayAreAppliedResetAndKeptOverARestart() throws Exception {
        assertEquals(Map.of(), mesh.startGuests(List.of("dmka", "dmkb"), line -> { }));
        double base = avgRtt(ping("dmka", "10.93.1.2", 10, "0.1"));

        Impairment delay = Impairment.parse("20ms", null, null, null, null, null, null);
        mesh.setImpairment("dmka", "eth0", LinkDirection.BOTH, delay);
        Iface i = mesh.guest("dmka").orElseThrow().interfaces().get(0);
        assertEquals(delay, i.link().toGuest());
        assertEquals(delay, i.link().fromGuest());
        double delayed = avgRtt(ping("dmka", "10.93.1.2", 10, "0.1"));
        assertTrue("RTT " + base + " ms -> " + delayed + " ms, expected about +40 ms",
                delayed - base > 34 && delayed - base < 60);

        // one direction only: about +20 ms
        mesh.setImpairment("dmka", "eth0", LinkDirection.IN, Impairment.NONE);
        double oneWay = avgRtt(ping("dmka", "10.93.1.2", 10, "0.1"));
        assertTrue("RTT " + base + " ms -> " + oneWay + " ms, expected about +20 ms",
                oneWay - base > 15 && oneWay - base < 35);

        // a restart of Dumm: recorded, still in force
        mesh = fx.restart();
        assertEquals(delay, mesh.guest("dmka").orElseThrow().interfaces().get(0).link().fromGuest());
        assertTrue(avgRtt(ping("dmka", "10.93.1.2", 5, "0.1")) - base > 15);

        // reset restores the baseline
        mesh.setImpairment("dmka", "eth0", LinkDirection.BOTH, Impairment.NONE);
        assertTrue(mesh.guest("dmka").orElseThrow().interfaces().get(0).link().isDefault());
        double after = avgRtt(ping("dmka", "10.93.1.2", 10, "0.1"));
        assertTrue("RTT after reset " + after + " ms, baseline " + base + " ms", after - base < 10);

        // 10 % loss of what dmkb receives: 6-14 % of 500 pings lost
        mesh.setImpairment("dmkb", "eth0", LinkDirection.IN, Impairment.parse(null, null, "10%", null, null, null, null));
        ExecResult r = ping("dmka", "10.93.1.2", 500, "0.01");
        Matcher m = RECEIVED.matcher(r.stdoutText());
        assertTrue(r.stdoutText(), m.find());
        double lost = (500 - Integer.parseInt(m.group(1))) / 5.0;
        assertTrue("lost " + lost + " % of 500 pings with 10 % loss", lost >= 6 && lost <= 14);
        mesh.setImpairment("dmkb", "eth0", LinkDirection.BOTH, Impairment.NONE);
        assertEquals("no IFB left in the guest", "", out("dmkb", "ip link show | grep ifb- || true"));
    }

    @Test
    public void badSettingsAreRefusedAndNothingIsApplied() throws Exception {
        for (String[] bad : new String[][] {{"10", null, null}, {"-5ms", null, null}, {null, "101%", null},
                {null, "1", null}, {null, null, "1000"}, {null, null, "1mbits"}}) {
            try {
                Impairment.parse(bad[0], null, bad[1], null, null, null, bad[2]);
                fail("accepted " + String.join(",", String.valueOf(bad[0]), String.valueOf(bad[1]), String.valueOf(bad[2])));
            } catch (DummException e) {
                assertEquals(DummException.Reason.INVALID_ARGUMENT, e.reason());
            }
        }
        try {
            Impairment.parse(null, null, null, null, null, "5%", null);
            fail("reorder without delay accepted");
        } catch (DummException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("needs a delay"));
        }
        // a stopped guest records the setting, applied at its boot: at 100 kbit/s a 1428-byte
        // ping takes ~115 ms to go out
        Impairment rate = Impairment.parse(null, null, null, null, null, null, "100kbit");
        assertEquals(rate, mesh.setImpairment("dmka", "eth0", LinkDirection.OUT, rate).link().fromGuest());
        assertEquals(Map.of(), mesh.startGuests(List.of("dmka", "dmkb"), line -> { }));
        double slow = avgRtt(mesh.exec("dmka", "ping -c 3 -i 0.5 -s 1400 10.93.1.2", EXEC));
        mesh.setImpairment("dmka", "eth0", LinkDirection.BOTH, Impairment.NONE);
        double fast = avgRtt(mesh.exec("dmka", "ping -c 3 -i 0.2 -s 1400 10.93.1.2", EXEC));
        assertTrue("1400-byte ping at 100 kbit/s: " + slow + " ms, unlimited " + fast + " ms", slow - fast > 80);
        try {
            mesh.setCarrier("dmka", "eth7", false);
            fail("unknown interface accepted");
        } catch (DummException e) {
            assertEquals(DummException.Reason.NOT_FOUND, e.reason());
        }
    }

    /**
     * {@code --rate 1mbit} out of dmka caps an iperf3 TCP stream to dmkb at about 1 Mbit/s (at most
     * 1.1), and a reset lifts the cap. The host's iperf3 and the libraries it loads are copied into
     * the test's own master first.
     */
    @Test
    public void aRateCapsAnIperf3TcpStream() throws Exception {
        String masterName = mesh.guest("dmka").orElseThrow().master();
        Path master = Path.of(mesh.masters().stream().filter(m -> m.name().equals(masterName)).findFirst().orElseThrow()
                .path());
        copyWithLibraries(Path.of("/usr/bin/iperf3"), master);
        assertEquals(Map.of(), mesh.startGuests(List.of("dmka", "dmkb"), line -> { }));
        out("dmkb", "iperf3 -s -D && sleep 0.5");
        mesh.setImpairment("dmka", "eth0", LinkDirection.OUT, Impairment.parse(null, null, null, null, null, null, "1mbit"));
        double capped = receivedBitsPerSecond(out("dmka", "iperf3 -c 10.93.1.2 -t 4 -J"));
        assertTrue("TCP at --rate 1mbit: " + capped + " bit/s", capped <= 1.1e6 && capped > 0.3e6);
        mesh.setImpairment("dmka", "eth0", LinkDirection.BOTH, Impairment.NONE);
        double free = receivedBitsPerSecond(out("dmka", "iperf3 -c 10.93.1.2 -t 2 -J"));
        System.out.printf("iperf3 TCP: %.0f bit/s at --rate 1mbit, %.0f bit/s after the reset%n", capped, free);
        assertTrue("TCP after the reset: " + free + " bit/s", free > 5e6);
    }

    private static final Pattern RECEIVED_BPS = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

    private static double receivedBitsPerSecond(String iperfJson) {
        Matcher m = RECEIVED_BPS.matcher(iperfJson);
        assertTrue("no sum_received in: " + iperfJson, m.find());
        return Double.parseDouble(m.group(1));
    }

    /** Copies a host binary and the shared libraries ldd names into {@code root}, at the same paths. */
    private static void copyWithLibraries(Path binary, Path root) throws Exception {
        Process ldd = new ProcessBuilder("ldd", binary.toString()).redirectErrorStream(true).start();
        String out = new String(ldd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(out, 0, ldd.waitFor());
        List<Path> files = new java.util.ArrayList<>(List.of(binary));
        Matcher m = Pattern.compile("(/\\S+)\\s+\\(0x").matcher(out);
        while (m.find()) {
            files.add(Path.of(m.group(1)));
        }
        for (Path f : files) {
            Path target = root.resolve(f.toString().substring(1));
            Files.createDirectories(target.getParent());
            Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING); // follows links: the contents
        }
    }

    private ExecResult ping(String guest, String to, int count, String interval) {
        return mesh.exec(guest, "ping -c " + count + " -i " + interval + " -W 1 " + to, EXEC);
    }

    private boolean pingSoon(String guest, String to) {
        for (int i = 0; i < 10; i++) {
            if (ping(guest, to, 1, "0.2").succeeded()) {
                return true;
            }
        }
        return false;
    }

    private static double avgRtt(ExecResult r) {
        Matcher m = AVG.matcher(r.stdoutText());
        assertTrue("no RTT in: " + r.stdoutText() + r.stderrText(), m.find());
        return Double.parseDouble(m.group(1));
    }

    private String out(String guest, String cmd) {
        ExecResult r = mesh.exec(guest, cmd, EXEC);
        assertTrue(cmd + ": " + r.stderrText(), r.succeeded());
        return r.stdoutText();
    }
}
