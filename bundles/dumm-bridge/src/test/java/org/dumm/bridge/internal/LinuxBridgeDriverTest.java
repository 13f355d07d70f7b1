package org.dumm.bridge.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.nativ.net.Link;
import org.dumm.nativ.net.RtLink;
import org.dumm.tap.internal.TunTapDriver;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The bridge driver against the real kernel, with real TAPs from the TAP driver as ports.
 * Devices are named dmqb&lt;run&gt;* and carry a test-only marker; everything is removed after each test.
 */
public class LinuxBridgeDriverTest {


    /**
     * Two base-36 characters drawn per test run: device names and groups include them, so two
     * builds running at once (e.g. from two checkouts) never share a device.
     */
    static final int RUN_ID = (int) ((ProcessHandle.current().pid() * 7919 + System.nanoTime()) & 0x7fffffff) % 1296;
    static final String RUN = (RUN_ID < 36 ? "0" : "") + Integer.toString(RUN_ID, 36);

    /** Name of a device of this run: dmqb, run id, suffix. */
    static String n(String suffix) {
        return "dmqb" + RUN + suffix;
    }

    static final DeviceMarker TEST_MARKER = new DeviceMarker("dmqtest:", 0x646e0000 + RUN_ID * 4);

    private LinuxBridgeDriver bridges;
    private TunTapDriver taps;

    @Before
    public void setUp() {
        bridges = new LinuxBridgeDriver(TEST_MARKER);
        taps = new TunTapDriver(TEST_MARKER);
    }

    /** Removes every device of this run, whoever made it, even after a failed test. */
    @After
    public void tearDown() {
        bridges.close();
        taps.close();
        try (RtLink rt = RtLink.open()) {
            // bridges first so that their ports are released rather than deleted twice
            List<Link> left = rt.list().stream().filter(l -> l.name().startsWith(n("")))
                    .sorted((a, b) -> Boolean.compare(b.isBridge(), a.isBridge())).toList();
            for (Link l : left) {
                rt.delete(l.index(), "cleaning up " + l.name());
            }
        }
    }

    @Test
    public void createAttachDetachDelete() throws Exception {
        bridges.create(n("0"));
        assertTrue(bridges.exists(n("0")));
        assertTrue(bridges.isOwned(n("0")));
        assertEquals(List.of(n("0")), bridges.listOwned());
        assertTrue(Files.isDirectory(Path.of("/sys/class/net/" + n("0") + "/bridge")));
        assertEquals("dmqtest:bridge", sys(n("0"), "ifalias"));
        assertEquals(String.valueOf(TEST_MARKER.group()), sys(n("0"), "netdev_group"));
        assertTrue("created up", isUp(n("0")));

        taps.create(n("0p0"), "g:eth0", null);
        taps.create(n("0p1"), "g:eth1", null);
        bridges.addPort(n("0"), n("0p0"));
        bridges.addPort(n("0"), n("0p1"));
        bridges.addPort(n("0"), n("0p1")); // already there: nothing to do
        assertEquals(List.of(n("0p0"), n("0p1")), bridges.ports(n("0")));
        assertEquals(n("0"), Path.of("/sys/class/net/" + n("0p0") + "/master").toRealPath().getFileName().toString());
        assertTrue(ip("link", "show", "master", n("0")).contains(n("0p1")));

        bridges.removePort(n("0"), n("0p0"));
        assertEquals(List.of(n("0p1")), bridges.ports(n("0")));
        assertFalse(Files.exists(Path.of("/sys/class/net/" + n("0p0") + "/master")));

        bridges.down(n("0"));
        assertFalse(isUp(n("0")));
        bridges.up(n("0"));
        assertTrue(isUp(n("0")));

        bridges.delete(n("0"));
        assertFalse(bridges.exists(n("0")));
        assertTrue(bridges.listOwned().isEmpty());
        // Deleting a bridge releases its ports; it does not delete them.
        assertTrue(taps.exists(n("0p1")));
        assertFalse(Files.exists(Path.of("/sys/class/net/" + n("0p1") + "/master")));
    }

    @Test
    public void bridgeWith50Ports() throws Exception {
        bridges.create(n("1"));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String port = n(String.format("1p%02d", i));
            names.add(port);
            taps.create(port, "g" + i + ":eth0", null);
            taps.up(port);
            bridges.addPort(n("1"), port);
        }
        assertEquals(names, bridges.ports(n("1")));
        try (Stream<Path> brif = Files.list(Path.of("/sys/class/net/" + n("1") + "/brif"))) {
            assertEquals(names, brif.map(p -> p.getFileName().toString()).sorted().toList());
        }
        for (int i = 0; i < 50; i += 2) {
            bridges.removePort(n("1"), names.get(i));
        }
        assertEquals(25, bridges.ports(n("1")).size());
        bridges.delete(n("1"));
        taps.deleteAll(names);
        for (String n : names) {
            assertFalse(n, taps.exists(n));
        }
    }

    @Test
    public void stpAndAgeingTimeReadBackFromSysfs() throws Exception {
        bridges.create(n("2"));
        assertEquals("0", sys(n("2"), "bridge/stp_state"));
        bridges.setStp(n("2"), true);
        // 1: kernel STP; 2 would mean a user-space STP daemon took over
        assertTrue(List.of("1", "2").contains(sys(n("2"), "bridge/stp_state")));
        bridges.setStp(n("2"), false);
        assertEquals("0", sys(n("2"), "bridge/stp_state"));

        bridges.setAgeingTime(n("2"), Duration.ofSeconds(42));
        assertEquals("4200", sys(n("2"), "bridge/ageing_time")); // centiseconds
        bridges.setAgeingTime(n("2"), Duration.ofMillis(1500));
        assertEquals("150", sys(n("2"), "bridge/ageing_time"));
        try (RtLink rt = RtLink.open()) {
            assertEquals(150, rt.get(n("2")).orElseThrow().ageingTime());
        }
        expect(Reason.INVALID_ARGUMENT, "ageing time", () -> bridges.setAgeingTime(n("2"), Duration.ofSeconds(-1)));
        expect(Reason.INVALID_ARGUMENT, "ageing time", () -> bridges.setAgeingTime(n("2"), null));
        expect(Reason.INVALID_ARGUMENT, "ageing time", () -> bridges.setAgeingTime(n("2"), Duration.ofDays(600)));
        assertEquals("150", sys(n("2"), "bridge/ageing_time"));
    }

    @Test
    public void batchDeleteOfBridges() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            names.add(n("3x") + i);
            bridges.create(n("3x") + i);
        }
        bridges.create(n("3keep"));
        taps.create(n("3p"), "g:eth0", null);
        bridges.addPort(n("3x7"), n("3p"));

        List<String> withUnknown = new ArrayList<>(names);
        withUnknown.add(n("3none"));
        bridges.deleteAll(withUnknown);

        assertEquals(List.of(n("3keep")), bridges.listOwned());
        assertTrue(names.stream().noneMatch(bridges::exists));
        assertTrue("the port survives its bridge", taps.exists(n("3p")));
    }

    @Test
    public void badNamesAndMissingDevices() throws Exception {
        expect(Reason.INVALID_ARGUMENT, "bridge name 'dmqb4567890abcde' is 16 bytes, Linux allows 15",
                () -> bridges.create("dmqb4567890abcde"));
        expect(Reason.INVALID_ARGUMENT, "bridge name is empty", () -> bridges.create(""));
        expect(Reason.INVALID_ARGUMENT, "must not contain '/'", () -> bridges.create("dmqb/4"));
        expect(Reason.INVALID_ARGUMENT, "must not contain white space", () -> bridges.create("dmqb 4"));
        expect(Reason.INVALID_ARGUMENT, "must not contain ':'", () -> bridges.create("dmqb:4"));
        try (RtLink rt = RtLink.open()) {
            assertTrue(rt.list().stream().noneMatch(l -> l.name().startsWith(n(""))));
        }

        bridges.create(n("4"));
        expect(Reason.ALREADY_EXISTS, "creating bridge '" + n("4") + "': EEXIST", () -> bridges.create(n("4")));
        assertTrue(bridges.isOwned(n("4")));

        expect(Reason.NOT_FOUND, "bridge '" + n("4none") + "' does not exist", () -> bridges.delete(n("4none")));
        expect(Reason.NOT_FOUND, "does not exist", () -> bridges.ports(n("4none")));
        expect(Reason.NOT_FOUND, "does not exist", () -> bridges.setStp(n("4none"), true));

        taps.create(n("4p"), "g:eth0", null);
        expect(Reason.NOT_FOUND, "bridge '" + n("4none") + "' does not exist", () -> bridges.addPort(n("4none"), n("4p")));
        assertFalse(Files.exists(Path.of("/sys/class/net/" + n("4p") + "/master")));
        expect(Reason.NOT_FOUND, "device '" + n("4pnone") + "' does not exist", () -> bridges.addPort(n("4"), n("4pnone")));
        expect(Reason.NOT_FOUND, "'" + n("4p") + "' is not a port of bridge '" + n("4") + "'", () -> bridges.removePort(n("4"), n("4p")));

        bridges.create(n("5"));
        bridges.addPort(n("4"), n("4p"));
        expect(Reason.INVALID_STATE, "already a port of '" + n("4") + "'", () -> bridges.addPort(n("5"), n("4p")));
        expect(Reason.NOT_FOUND, "not a port of bridge '" + n("5") + "'", () -> bridges.removePort(n("5"), n("4p")));
        assertEquals(List.of(n("4p")), bridges.ports(n("4")));

        expect(Reason.INVALID_ARGUMENT, "is a tun, not a bridge", () -> bridges.ports(n("4p")));
        expect(Reason.INVALID_ARGUMENT, "is a tun, not a bridge", () -> bridges.delete(n("4p")));
        assertFalse(bridges.isOwned(n("4p")));
        assertTrue(taps.exists(n("4p")));
    }

    @Test
    public void bridgeDummDidNotCreateIsLeftIntact() throws Exception {
        ip("link", "add", n("6"), "type", "bridge");
        ip("tuntap", "add", "dev", n("6f"), "mode", "tap");
        ip("link", "set", n("6f"), "master", n("6"));
        bridges.create(n("7"));
        taps.create(n("7p"), "g:eth0", null);

        assertTrue(bridges.exists(n("6")));
        assertFalse(bridges.isOwned(n("6")));
        assertEquals(List.of(n("7")), bridges.listOwned());
        assertEquals(List.of(n("6f")), bridges.ports(n("6"))); // reading is harmless

        expect(Reason.NOT_OWNED, "device '" + n("6") + "' was not created by Dumm", () -> bridges.delete(n("6")));
        expect(Reason.NOT_OWNED, n("6"), () -> bridges.deleteAll(List.of(n("7"), n("6"))));
        expect(Reason.NOT_OWNED, n("6"), () -> bridges.addPort(n("6"), n("7p")));
        expect(Reason.NOT_OWNED, n("6"), () -> bridges.removePort(n("6"), n("6f")));
        expect(Reason.NOT_OWNED, n("6"), () -> bridges.setStp(n("6"), true));
        expect(Reason.NOT_OWNED, n("6"), () -> bridges.setAgeingTime(n("6"), Duration.ofSeconds(1)));
        expect(Reason.NOT_OWNED, n("6"), () -> bridges.up(n("6")));
        expect(Reason.ALREADY_EXISTS, "EEXIST", () -> bridges.create(n("6")));
        // Dumm's own bridge does not take a port Dumm did not create either.
        expect(Reason.NOT_OWNED, "device '" + n("6f") + "' was not created by Dumm", () -> bridges.addPort(n("7"), n("6f")));

        // All of it untouched: the foreign bridge, its port, its settings; and the batch above
        // deleted nothing, not even Dumm's own dmqb7.
        assertTrue(bridges.exists(n("7")));
        assertTrue(Files.isDirectory(Path.of("/sys/class/net/" + n("6") + "/bridge")));
        assertEquals("0", sys(n("6"), "bridge/stp_state"));
        assertEquals("30000", sys(n("6"), "bridge/ageing_time"));
        assertFalse(isUp(n("6")));
        assertEquals("", sys(n("6"), "ifalias"));
        assertEquals(List.of(n("6f")), bridges.ports(n("6")));
        assertTrue(bridges.ports(n("7")).isEmpty());
        ip("link", "del", n("6"));
        ip("link", "del", n("6f"));
    }

    private static void expect(Reason reason, String messagePart, Runnable action) {
        try {
            action.run();
            fail("expected " + reason + " (" + messagePart + ")");
        } catch (DummException e) {
            assertEquals(e.getMessage(), reason, e.reason());
            assertTrue(e.getMessage(), e.getMessage().contains(messagePart));
            assertFalse("one line: " + e.getMessage(), e.getMessage().contains("\n"));
        }
    }

    private static String sys(String dev, String attr) throws IOException {
        return Files.readString(Path.of("/sys/class/net", dev, attr)).trim();
    }

    private static boolean isUp(String dev) throws IOException {
        return (Integer.decode(sys(dev, "flags")) & 1) != 0;
    }

    /** Runs ip(8): only to make foreign devices and to cross-check state, never in product code. */
    private static String ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(cmd + ": " + out, 0, p.waitFor());
        return out;
    }
}
