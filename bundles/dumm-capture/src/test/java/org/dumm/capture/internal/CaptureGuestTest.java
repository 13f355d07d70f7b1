package org.dumm.capture.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.dumm.api.Capture;
import org.dumm.api.CaptureRequest;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.api.MasterRequest;
import org.dumm.api.Transport;
import org.dumm.core.internal.MeshFixture;
import org.dumm.core.internal.MeshManager;
import org.dumm.nativ.net.DeviceMarker;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Captures on real guests: two busybox guests on a bridge ping each other while their TAP and
 * the bridge are captured; the pcap files are read back with tcpdump. A capture ends when its
 * guest is deleted; bad requests open nothing. Names start with {@code dmc}.
 */
public class CaptureGuestTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmctest:", 3981);

    private static Path work;
    private static MeshFixture fx;
    private static MeshManager mesh;
    private static CaptureManager captures;

    @BeforeClass
    public static void twoGuests() throws Exception {
        fx = new MeshFixture("dmc", MARKER);
        work = fx.workDir;
        mesh = fx.mesh;
        mesh.createMaster(new MasterRequest("dmcbox", MasterRequest.Kind.BUSYBOX, null, List.of()), line -> { });
        mesh.createBridge("dmcbr");
        for (String g : List.of("dmcalice", "dmcbob")) {
            mesh.createGuest(new GuestDefinition(g, null, null, "dmcbox", 64, List.of()));
            mesh.addInterface(g, "eth0", "dmcbr", null, Transport.TUNTAP);
        }
        mesh.addAddress("dmcalice", "eth0", "10.77.0.1/24");
        mesh.addAddress("dmcbob", "eth0", "10.77.0.2/24");
        assertEquals(Map.of(), mesh.startGuests(List.of("dmcalice", "dmcbob"), line -> { }));
        captures = new CaptureManager(mesh);
    }

    @AfterClass
    public static void tearDown() throws Exception {
        try {
            if (captures != null) {
                captures.deactivate();
            }
        } finally {
            if (fx != null) {
                fx.close(); // deletes every guest and bridge, then fails on what is left
            }
        }
    }

    /** tcpdump's reading of a pcap file, one line per frame (tcpdump reads, it does not capture here). */
    private static List<String> tcpdumpRead(Path pcap) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("tcpdump", "-n", "-r", pcap.toString()).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("tcpdump -r " + pcap + " failed", 0, p.waitFor());
        return out.lines().toList();
    }

    @Test
    public void aPingCapturedOnTheTapAndOnTheBridge() throws Exception {
        Path onTap = work.resolve("alice-eth0.pcap");
        Path onBridge = work.resolve("dmcbr.pcap");
        Capture tap = captures.start(CaptureRequest.iface("dmcalice", "eth0", onTap.toString()).withFilter("icmp"));
        Capture seg = captures.start(CaptureRequest.bridge("dmcbr", onBridge.toString()).withFilter("icmp").withCount(6));
        assertTrue(tap.running());
        assertEquals("dmcalice eth0", tap.target());
        assertEquals("bridge dmcbr", seg.target());
        ExecResult ping = mesh.exec("dmcalice", "ping -c 3 -W 2 10.77.0.2", Duration.ofSeconds(30));
        assertEquals(ping.stdoutText() + ping.stderrText(), 0, ping.exitStatus());
        Capture segDone = captures.await(seg.id(), Duration.ofSeconds(10));
        assertFalse(segDone.running());
        assertEquals("count reached", segDone.end());
        assertEquals(6, segDone.packets());
        Capture tapDone = captures.stop(tap.id());
        assertEquals("stopped", tapDone.end());
        assertEquals(6, tapDone.packets());
        for (Path pcap : List.of(onTap, onBridge)) {
            List<String> frames = tcpdumpRead(pcap);
            assertEquals(String.join("\n", frames), 6, frames.size());
            assertEquals(String.join("\n", frames), 3, frames.stream()
                    .filter(l -> l.contains("10.77.0.1 > 10.77.0.2: ICMP echo request")).count());
            assertEquals(String.join("\n", frames), 3, frames.stream()
                    .filter(l -> l.contains("10.77.0.2 > 10.77.0.1: ICMP echo reply")).count());
        }
        assertTrue(captures.captures().stream().noneMatch(Capture::running));
    }

    @Test
    public void aBackgroundCaptureGoesOnAfterARestartOfDumm() throws Exception {
        Path file = work.resolve("restart.pcap");
        Path stoppedFile = work.resolve("stopped.pcap");
        Capture c = captures.start(CaptureRequest.iface("dmcalice", "eth0", file.toString()).withFilter("icmp"));
        Capture stopped = captures.start(CaptureRequest.iface("dmcbob", "eth0", stoppedFile.toString()));
        captures.stop(stopped.id());
        ping(2);
        awaitPackets(c.id(), 4);

        // Dumm stops (the guests go on) and starts again: the capture is taken up, appending
        captures.deactivate();
        assertTrue(Files.exists(work.resolve("captures.properties")));
        ping(1); // while Dumm is away: not seen
        captures = new CaptureManager(mesh);
        Capture again = find(c.id());
        assertTrue(again.end(), again.running());
        assertEquals(4, again.packets());
        assertEquals(c.started(), again.started());
        assertTrue("stopped by hand: not taken up",
                captures.captures().stream().noneMatch(x -> x.id().equals(stopped.id()) && x.running()));
        ping(3);
        awaitPackets(c.id(), 10);
        Capture done = captures.stop(c.id());
        assertEquals(10, done.packets());
        List<String> frames = tcpdumpRead(file);
        assertEquals(String.join("\n", frames), 10, frames.size());
        assertEquals(String.join("\n", frames), 5, frames.stream().filter(l -> l.contains("ICMP echo request")).count());
        assertFalse("nothing left to take up", Files.exists(work.resolve("captures.properties")));

        // one whose guest went while Dumm was away is listed as not resumed, and its file kept as it was
        mesh.createGuest(new GuestDefinition("dmcdave", null, null, "dmcbox", 64, List.of()));
        mesh.addInterface("dmcdave", "eth0", "dmcbr", null, Transport.TUNTAP);
        mesh.startGuest("dmcdave");
        Path daveFile = work.resolve("dave.pcap");
        Capture d = captures.start(CaptureRequest.iface("dmcdave", "eth0", daveFile.toString()));
        captures.deactivate();
        mesh.deleteGuest("dmcdave", true);
        captures = new CaptureManager(mesh);
        Capture gone = find(d.id());
        assertFalse(gone.running());
        assertTrue(gone.end(), gone.end().startsWith("not resumed after Dumm's restart: no guest dmcdave"));
        assertTrue(Files.exists(daveFile));
        tcpdumpRead(daveFile); // still a readable pcap file
        assertFalse(Files.exists(work.resolve("captures.properties")));
        Capture next = captures.start(CaptureRequest.bridge("dmcbr", work.resolve("next.pcap").toString()));
        assertTrue("ids go on after the resumed ones: " + next.id(),
                Integer.parseInt(next.id().substring(3)) > Integer.parseInt(d.id().substring(3)));
        captures.stop(next.id());
    }

    private static void ping(int n) {
        ExecResult ping = mesh.exec("dmcalice", "ping -c " + n + " -i 0.2 -W 2 10.77.0.2", Duration.ofSeconds(30));
        assertEquals(ping.stdoutText() + ping.stderrText(), 0, ping.exitStatus());
    }

    private static Capture find(String id) {
        return captures.captures().stream().filter(x -> x.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no capture " + id + " in " + captures.captures()));
    }

    private static void awaitPackets(String id, long n) throws InterruptedException {
        long t0 = System.nanoTime();
        while (find(id).packets() < n) {
            assertTrue("capture " + id + " has " + find(id).packets() + " of " + n + " frames after 5 s",
                    System.nanoTime() - t0 < 5_000_000_000L);
            Thread.sleep(20);
        }
    }

    @Test
    public void aCaptureEndsWithItsGuest() throws Exception {
        mesh.createGuest(new GuestDefinition("dmccarol", null, null, "dmcbox", 64, List.of()));
        mesh.addInterface("dmccarol", "eth0", "dmcbr", null, Transport.TUNTAP);
        mesh.startGuest("dmccarol");
        Capture c = captures.start(CaptureRequest.iface("dmccarol", "eth0", work.resolve("carol.pcap").toString()));
        mesh.deleteGuest("dmccarol", true);
        Capture ended = captures.await(c.id(), Duration.ofSeconds(10));
        assertFalse(ended.running());
        assertEquals("interface gone", ended.end());
        assertEquals(0, tcpdumpRead(work.resolve("carol.pcap")).stream().filter(l -> l.contains("10.77.0.1")).count());
    }

    @Test
    public void badRequestsOpenNothing() {
        int before = captures.captures().size();
        String file = work.resolve("x.pcap").toString();
        assertEquals(Reason.NOT_FOUND, assertThrows(DummException.class,
                () -> captures.start(CaptureRequest.iface("dmcnobody", "eth0", file))).reason());
        assertEquals(Reason.NOT_FOUND, assertThrows(DummException.class,
                () -> captures.start(CaptureRequest.iface("dmcalice", "eth7", file))).reason());
        assertEquals(Reason.NOT_FOUND, assertThrows(DummException.class,
                () -> captures.start(CaptureRequest.bridge("dmcnobr", file))).reason());
        DummException bad = assertThrows(DummException.class,
                () -> captures.start(CaptureRequest.iface("dmcalice", "eth0", file).withFilter("icmp and and")));
        assertEquals(Reason.INVALID_ARGUMENT, bad.reason());
        assertTrue(bad.getMessage(), bad.getMessage().startsWith("bad capture filter 'icmp and and': "));
        assertEquals(Reason.INVALID_ARGUMENT, assertThrows(DummException.class,
                () -> captures.start(CaptureRequest.iface("dmcalice", "eth0", "relative.pcap"))).reason());
        assertEquals(Reason.INVALID_ARGUMENT, assertThrows(DummException.class,
                () -> captures.start(CaptureRequest.iface("dmcalice", "eth0", "/nonexistent-dir/x.pcap"))).reason());
        assertEquals(Reason.INVALID_ARGUMENT, assertThrows(DummException.class,
                () -> captures.start(CaptureRequest.iface("dmcalice", "eth0", file).withCount(-1))).reason());
        assertEquals(before, captures.captures().size());
        assertFalse(Files.exists(Path.of(file)));
    }
}
