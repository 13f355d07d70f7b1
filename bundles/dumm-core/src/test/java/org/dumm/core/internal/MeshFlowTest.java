package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;
import org.dumm.api.GuestState;
import org.dumm.api.Transport;
import org.dumm.bridge.internal.LinuxBridgeDriver;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.tap.internal.TunTapDriver;
import org.dumm.templates.internal.FileTemplateStore;
import org.dumm.unionfs.internal.OverlayUnionFs;
import org.dumm.uml.internal.UmlBackend;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The mesh end to end, outside OSGi, with the real drivers and backend: real TAPs, a real
 * bridge, overlay roots and UML guests. Names start with {@code dmc}; the device marker uses its
 * own alias prefix and group so a Dumm running on the host is never touched.
 */
public class MeshFlowTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmctest:", 3901);
    private static final Duration EXEC = Duration.ofSeconds(20);

    private MeshFixture fx;
    private Path workDir;
    private TunTapDriver taps;
    private LinuxBridgeDriver bridges;
    private OverlayUnionFs unionFs;
    private UmlBackend backend;
    private MeshManager mesh;

    @Before
    public void setUp() throws Exception {
        fx = new MeshFixture("dmc", MARKER);
        workDir = fx.workDir;
        taps = fx.taps;
        bridges = fx.bridges;
        unionFs = fx.unionFs;
        backend = fx.backend;
        mesh = fx.mesh;
    }

    /** A restart: the test may have replaced the backend too. */
    private MeshManager newMesh() {
        fx.backend = backend;
        return fx.newMesh();
    }

    @After
    public void tearDown() {
        fx.mesh = mesh;
        fx.backend = backend;
        fx.close();
    }

    @Test
    public void createStartConnectPingDisconnectStopDelete() {
        mesh.createBridge("dmcbr0");
        mesh.createGuest(GuestDefinition.named("dmca"));
        mesh.createGuest(GuestDefinition.named("dmcb"));
        // One interface recorded while stopped (plugged at boot), one hot-plugged while running.
        mesh.addInterface("dmca", "eth0", "dmcbr0", null, Transport.TUNTAP);
        mesh.addAddress("dmca", "eth0", "10.251.0.1/24");

        Map<String, String> failures = mesh.startGuests(List.of("dmca", "dmcb"), line -> { });
        assertEquals(Map.of(), failures);
        assertEquals(GuestState.RUNNING, mesh.guest("dmca").orElseThrow().state());

        mesh.addInterface("dmcb", "eth0", "dmcbr0", "52:54:00:aa:bb:02", Transport.TUNTAP);
        mesh.addAddress("dmcb", "eth0", "10.251.0.2/24");
        assertTrue(taps.exists("dmca-eth0"));
        assertEquals(List.of("dmca-eth0", "dmcb-eth0"), mesh.bridge("dmcbr0").orElseThrow().ports().stream().sorted().toList());
        assertTrue(mesh.exec("dmcb", "cat /sys/class/net/eth0/address", EXEC).stdoutText().contains("52:54:00:aa:bb:02"));

        assertPing("dmca", "10.251.0.2", true);
        mesh.disconnect("dmcb", "eth0");
        assertPing("dmca", "10.251.0.2", false);
        mesh.connect("dmcb", "eth0", "dmcbr0");
        assertPing("dmca", "10.251.0.2", true);

        ExecResult failing = mesh.exec("dmca", "echo out; echo err >&2; exit 3", EXEC);
        assertEquals(3, failing.exitStatus());
        assertEquals("out\n", failing.stdoutText());
        assertEquals("err\n", failing.stderrText());

        expect(Reason.INVALID_STATE, () -> mesh.deleteGuest("dmca", false));
        long pid = mesh.guest("dmca").orElseThrow().pid();
        mesh.stopGuests(List.of("dmca", "dmcb"), Duration.ofSeconds(10), line -> { });
        assertEquals(GuestState.STOPPED, mesh.guest("dmca").orElseThrow().state());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertFalse("TAP must go with the guest", taps.exists("dmca-eth0"));
        assertTrue(unionFs.mountsUnder(workDir).isEmpty());

        // Starting again brings the interfaces, links and addresses back.
        mesh.startGuest("dmca");
        mesh.startGuest("dmcb");
        assertPing("dmca", "10.251.0.2", true);

        mesh.deleteGuest("dmca", true);
        mesh.deleteGuest("dmcb", true);
        mesh.deleteBridge("dmcbr0");
        assertTrue(mesh.guests().isEmpty());
        assertFalse(taps.exists("dmca-eth0"));
        assertFalse(bridges.exists("dmcbr0"));
        assertFalse(Files.exists(workDir.resolve("guests/dmca")));
        assertTrue(unionFs.mountsUnder(workDir).isEmpty());
    }

    @Test
    public void aNewMeshAdoptsRunningGuestsAndACrashIsSeen() throws Exception {
        mesh.createBridge("dmcbr1");
        mesh.createGuest(GuestDefinition.named("dmcr"));
        mesh.addInterface("dmcr", "eth0", "dmcbr1", null, null);
        mesh.addAddress("dmcr", "eth0", "10.252.0.1/24");
        mesh.startGuest("dmcr");
        long pid = mesh.guest("dmcr").orElseThrow().pid();

        // What a Karaf restart does to the core: the old instance lets go, a new one reads the state.
        mesh.deactivate();
        backend.deactivate();
        backend = new UmlBackend();
        mesh = newMesh();

        Guest adopted = mesh.guest("dmcr").orElseThrow();
        assertEquals(GuestState.RUNNING, adopted.state());
        assertEquals(pid, adopted.pid());
        assertEquals(List.of("10.252.0.1/24"), adopted.interfaces().get(0).addresses());
        assertTrue(mesh.exec("dmcr", "ip addr show dev eth0", EXEC).stdoutText().contains("10.252.0.1/24"));
        assertEquals(List.of("dmcr-eth0"), mesh.bridge("dmcbr1").orElseThrow().ports());

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (mesh.guest("dmcr").orElseThrow().state() != GuestState.CRASHED && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(GuestState.CRASHED, mesh.guest("dmcr").orElseThrow().state());
        mesh.startGuest("dmcr");
        assertTrue(mesh.exec("dmcr", "ip addr show dev eth0", EXEC).stdoutText().contains("10.252.0.1/24"));
        assertNotEquals(pid, mesh.guest("dmcr").orElseThrow().pid());
    }

    @Test
    public void badInputIsRefusedAndLeavesNothing() {
        mesh.createGuest(GuestDefinition.named("dmcx"));
        assertTrue("the guest's directory is there when create returns",
                Files.isDirectory(workDir.resolve("guests/dmcx")));
        mesh.createBridge("dmcbr2");
        expect(Reason.INVALID_ARGUMENT, () -> mesh.createGuest(GuestDefinition.named("a/b")));
        expect(Reason.INVALID_ARGUMENT, () -> mesh.createGuest(GuestDefinition.named("..")));
        expect(Reason.INVALID_ARGUMENT, () -> mesh.createGuest(GuestDefinition.named("Alice")));
        expect(Reason.INVALID_ARGUMENT, () -> mesh.createGuest(GuestDefinition.named("has space")));
        expect(Reason.INVALID_ARGUMENT, () -> mesh.createGuest(GuestDefinition.named("")));
        expect(Reason.ALREADY_EXISTS, () -> mesh.createGuest(GuestDefinition.named("dmcx")));
        expect(Reason.INVALID_ARGUMENT, () -> mesh.createGuest(new GuestDefinition("dmcy", null, null, null, -5, List.of())));
        expect(Reason.NOT_FOUND, () -> mesh.createGuest(new GuestDefinition("dmcy", null, "/nonexistent/linux", null, 0, List.of())));
        expect(Reason.NOT_FOUND, () -> mesh.createGuest(new GuestDefinition("dmcy", null, null, "nomaster", 0, List.of())));
        expect(Reason.BACKEND_UNAVAILABLE, () -> mesh.createGuest(new GuestDefinition("dmcy", "qemu", null, null, 0, List.of())));
        assertFalse(Files.exists(workDir.resolve("guests/dmcy")));
        expect(Reason.NOT_FOUND, () -> mesh.startGuest("dmcnone"));
        expect(Reason.NOT_FOUND, () -> mesh.addInterface("dmcx", "eth0", "nobridge", null, null));
        expect(Reason.INVALID_ARGUMENT, () -> mesh.addInterface("dmcx", "eth0/1", null, null, null));
        expect(Reason.INVALID_ARGUMENT, () -> mesh.addInterface("dmcx", "eth0", null, "ff:ff:ff:ff:ff:ff", null));
        mesh.addInterface("dmcx", "eth0", null, null, null);
        expect(Reason.ALREADY_EXISTS, () -> mesh.addInterface("dmcx", "eth0", null, null, null));
        expect(Reason.NOT_FOUND, () -> mesh.connect("dmcx", "eth1", "dmcbr2"));
        expect(Reason.INVALID_ARGUMENT, () -> mesh.addAddress("dmcx", "eth0", "10.0.0.300/24"));
        expect(Reason.ALREADY_EXISTS, () -> mesh.createBridge("dmcbr2"));
        expect(Reason.INVALID_ARGUMENT, () -> mesh.createBridge("dmc-much-too-long"));
        expect(Reason.INVALID_STATE, () -> mesh.exec("dmcx", "true", EXEC));
        expect(Reason.NOT_FOUND, () -> mesh.deleteTemplate("dmcnotemplate"));
    }

    @Test
    public void aHostBridgeThatIsNotDummsIsLeftAlone() throws Exception {
        // Made by other means, as an admin would: Dumm must refuse it and leave it intact.
        run("ip", "link", "add", "dmcforeign", "type", "bridge");
        try {
            expect(Reason.NOT_OWNED, () -> mesh.createBridge("dmcforeign"));
            assertTrue(bridges.exists("dmcforeign"));
            assertTrue(mesh.bridges().isEmpty());
        } finally {
            run("ip", "link", "del", "dmcforeign");
        }
    }

    @Test
    public void aDeviceInTheWayOfANewTapIsReplacedOnlyWhenItIsDumms() throws Exception {
        mesh.createBridge("dmcbr3");
        mesh.createGuest(GuestDefinition.named("dmcz"));
        mesh.startGuest("dmcz");
        // Someone else's TAP where eth1's goes (as an admin would make it): refused, left as it was.
        run("ip", "tuntap", "add", "dev", "dmcz-eth1", "mode", "tap");
        try {
            expect(Reason.NOT_OWNED, () -> mesh.addInterface("dmcz", "eth1", "dmcbr3", null, Transport.TUNTAP));
            assertTrue(taps.exists("dmcz-eth1"));
            assertTrue(taps.owner("dmcz-eth1").isEmpty());
            assertFalse(bridges.ports("dmcbr3").contains("dmcz-eth1"));
            assertTrue(mesh.guest("dmcz").orElseThrow().interfaces().isEmpty());
            // the guest registered eth1 while the TAP was being made: it was removed again
            assertFalse(mesh.exec("dmcz", "ls /sys/class/net", EXEC).stdoutText().contains("eth1"));
        } finally {
            run("ip", "link", "del", "dmcz-eth1");
        }
        // and can be added now that the name is free
        mesh.addInterface("dmcz", "eth1", "dmcbr3", null, Transport.TUNTAP);
        assertEquals("dmcz:eth1", taps.owner("dmcz-eth1").orElseThrow());
        assertTrue(mesh.exec("dmcz", "cat /sys/class/net/eth1/flags", EXEC).stdoutText().trim().matches("0x[0-9a-f]*[13579bdf]"));
        // A TAP of Dumm's left behind (say, by a crash before the change was recorded): replaced.
        taps.create("dmcz-eth2", "left:behind", null);
        mesh.addInterface("dmcz", "eth2", "dmcbr3", null, Transport.TUNTAP);
        assertEquals(List.of("dmcz-eth1", "dmcz-eth2"), bridges.ports("dmcbr3"));
        assertEquals("dmcz:eth2", taps.owner("dmcz-eth2").orElseThrow());
        assertTrue(mesh.exec("dmcz", "cat /sys/class/net/eth2/flags", EXEC).stdoutText().trim().matches("0x[0-9a-f]*[13579bdf]"));
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertEquals(String.join(" ", cmd), 0, p.waitFor());
    }

    private static void expect(Reason reason, Runnable action) {
        try {
            action.run();
            fail("expected " + reason);
        } catch (DummException e) {
            assertEquals(e.getMessage(), reason, e.reason());
            assertFalse("one line: " + e.getMessage(), e.getMessage().contains("\n"));
        }
    }

    private void assertPing(String from, String to, boolean reachable) {
        ExecResult r = mesh.exec(from, "ping -c 1 -W 2 " + to, EXEC);
        assertEquals(r.stdoutText() + r.stderrText(), reachable, r.exitStatus() == 0);
    }
}
