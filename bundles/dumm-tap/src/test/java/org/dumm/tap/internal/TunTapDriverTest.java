package org.dumm.tap.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.nativ.Errno;
import org.dumm.nativ.Native;
import org.dumm.nativ.NativeException;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.nativ.net.Link;
import org.dumm.nativ.net.LinkRequest;
import org.dumm.nativ.net.RtLink;
import org.junit.After;
import org.junit.Assume;
import org.junit.Before;
import org.junit.Test;

/**
 * The TAP driver against the real kernel. Devices are named dmqt&lt;run&gt;* and marked with a test-only
 * alias prefix and device group, so nothing here can touch a running Dumm's or the host's devices.
 */
public class TunTapDriverTest {


    /**
     * Two base-36 characters drawn per test run: device names and groups include them, so two
     * builds running at once (e.g. from two checkouts) never share a device.
     */
    static final int RUN_ID = (int) ((ProcessHandle.current().pid() * 7919 + System.nanoTime()) & 0x7fffffff) % 1296;
    static final String RUN = (RUN_ID < 36 ? "0" : "") + Integer.toString(RUN_ID, 36);

    /** Name of a device of this run: dmqt, run id, suffix. */
    static String n(String suffix) {
        return "dmqt" + RUN + suffix;
    }

    /** Device group of this run; +1 is its scratch group, +2 the "other Dumm" of one test. */
    static final int TEST_GROUP = 0x646d0000 + RUN_ID * 4;
    static final String TEST_PREFIX = "dmqtest:";

    private TunTapDriver driver;

    @Before
    public void setUp() {
        driver = new TunTapDriver(new DeviceMarker(TEST_PREFIX, TEST_GROUP));
    }

    /** Removes every device of this run, whoever made it, even after a failed test. */
    @After
    public void tearDown() {
        driver.close();
        try (RtLink rt = RtLink.open()) {
            for (Link l : rt.list()) {
                if (l.name().startsWith(n(""))) {
                    rt.delete(l.index(), "cleaning up " + l.name());
                }
            }
        }
    }

    @Test
    public void createMarkUpDownDelete() throws Exception {
        driver.create(n("0"), "alice:eth0", null);

        assertTrue(driver.exists(n("0")));
        assertEquals(Optional.of("alice:eth0"), driver.owner(n("0")));
        assertEquals(List.of(n("0")), driver.listOwned());
        // What the kernel keeps: alias, group, TAP without packet info, persistent.
        assertEquals(TEST_PREFIX + "alice:eth0", sys(n("0"), "ifalias"));
        assertEquals(String.valueOf(TEST_GROUP), sys(n("0"), "netdev_group"));
        int tunFlags = Integer.decode(sys(n("0"), "tun_flags"));
        assertEquals(0x0002 | 0x1000, tunFlags & 0x1003); // IFF_TAP | IFF_NO_PI
        assertTrue(ip("-d", "link", "show", n("0")).contains("persist on"));
        assertFalse(isUp(n("0")));
        // no IPv6 address of the kernel's making (the host's end of a guest's cable)
        // (readAllLines: Files.readString returns only the first byte of a sysctl file)
        assertEquals(List.of("1"), Files.readAllLines(Path.of("/proc/sys/net/ipv6/conf", n("0"), "addr_gen_mode")));

        driver.up(n("0"));
        assertTrue(isUp(n("0")));
        driver.down(n("0"));
        assertFalse(isUp(n("0")));

        driver.delete(n("0"));
        assertFalse(driver.exists(n("0")));
        assertFalse(Files.exists(Path.of("/sys/class/net/" + n("0"))));
        assertTrue(driver.listOwned().isEmpty());
        assertEquals(Optional.empty(), driver.owner(n("0")));
    }

    @Test
    public void createUpMakesAPortOfADummBridgeOrLeavesNothing() throws Exception {
        try (RtLink rt = RtLink.open()) {
            rt.create(LinkRequest.named(n("br")).kind("bridge").group(TEST_GROUP).up(true), "test bridge");
            rt.change(LinkRequest.named(n("br")).alias(TEST_PREFIX + "bridge"), "marking test bridge");
        }
        ip("link", "add", n("fbr"), "type", "bridge"); // somebody else's

        driver.createUp(n("u0"), "alice:eth1", "52:54:00:00:00:21", n("br"));
        assertTrue(isUp(n("u0")));
        assertEquals(n("br"), Path.of("/sys/class/net", n("u0"), "master").toRealPath().getFileName().toString());
        assertEquals(Optional.of("alice:eth1"), driver.owner(n("u0")));
        assertEquals("52:54:00:00:00:21", driver.mac(n("u0")));
        assertTrue(ip("-d", "link", "show", n("u0")).contains("persist on"));

        driver.createUp(n("u1"), "alice:eth2", null, null);
        assertTrue(isUp(n("u1")));
        assertFalse(Files.exists(Path.of("/sys/class/net", n("u1"), "master")));

        expect(Reason.NOT_FOUND, "bridge '" + n("nobr") + "' does not exist",
                () -> driver.createUp(n("u2"), "alice:eth3", null, n("nobr")));
        expect(Reason.NOT_OWNED, "not one of Dumm's bridges",
                () -> driver.createUp(n("u2"), "alice:eth3", null, n("fbr")));
        expect(Reason.NOT_OWNED, "not one of Dumm's bridges",
                () -> driver.createUp(n("u2"), "alice:eth3", null, n("u1"))); // a TAP, not a bridge
        assertFalse("a refused createUp leaves no TAP", driver.exists(n("u2")));
        assertEquals("", ip("link", "show", "master", n("fbr")).trim());
    }

    /**
     * The driver remembers a bridge's index after its first TAP; a bridge deleted and made again
     * (by Dumm, or by somebody else under the same name) must be found or refused anew.
     */
    @Test
    public void aBridgeMadeAgainIsLookedUpAgain() throws Exception {
        try (RtLink rt = RtLink.open()) {
            rt.create(LinkRequest.named(n("br")).kind("bridge").group(TEST_GROUP).up(true), "test bridge");
            rt.change(LinkRequest.named(n("br")).alias(TEST_PREFIX + "bridge"), "marking test bridge");
            driver.createUp(n("r0"), "alice:eth0", null, n("br"));
            int first = rt.get(n("br")).orElseThrow().index();

            rt.delete(first, "deleting test bridge");
            assertTrue("a persistent TAP outlives its bridge", driver.exists(n("r0")));
            rt.create(LinkRequest.named(n("br")).kind("bridge").group(TEST_GROUP).up(true), "test bridge again");
            rt.change(LinkRequest.named(n("br")).alias(TEST_PREFIX + "bridge"), "marking test bridge");
            driver.createUp(n("r1"), "alice:eth1", null, n("br"));
            assertEquals(n("br"), Path.of("/sys/class/net", n("r1"), "master").toRealPath().getFileName().toString());

            rt.delete(rt.get(n("br")).orElseThrow().index(), "deleting test bridge");
            ip("link", "add", n("br"), "type", "bridge"); // the same name, somebody else's
            expect(Reason.NOT_OWNED, "not one of Dumm's bridges",
                    () -> driver.createUp(n("r2"), "alice:eth2", null, n("br")));
            assertFalse("a refused createUp leaves no TAP", driver.exists(n("r2")));
            assertEquals("", ip("link", "show", "master", n("br")).trim());

            rt.delete(rt.get(n("br")).orElseThrow().index(), "deleting foreign test bridge");
            expect(Reason.NOT_FOUND, "bridge '" + n("br") + "' does not exist",
                    () -> driver.createUp(n("r2"), "alice:eth2", null, n("br")));
            assertFalse(driver.exists(n("r2")));
        }
    }

    @Test
    public void macIsSetAndReadBack() throws Exception {
        driver.create(n("1"), "bob:eth1", "52:54:00:AB:cd:01");
        assertEquals("52:54:00:ab:cd:01", driver.mac(n("1")));
        assertEquals("52:54:00:ab:cd:01", sys(n("1"), "address"));

        driver.create(n("2"), "bob:eth2", null);
        String kernelChosen = driver.mac(n("2"));
        assertEquals(sys(n("2"), "address"), kernelChosen);
        assertTrue(kernelChosen.matches("([0-9a-f]{2}:){5}[0-9a-f]{2}"));
    }

    @Test
    public void badNamesAreRefusedBeforeTheKernelSeesThem() {
        expect(Reason.INVALID_ARGUMENT, "TAP name 'dmqt0123456789ab' is 16 bytes, Linux allows 15",
                () -> driver.create("dmqt0123456789ab", "x", null));
        expect(Reason.INVALID_ARGUMENT, "TAP name is empty", () -> driver.create("", "x", null));
        expect(Reason.INVALID_ARGUMENT, "must not contain '/'", () -> driver.create("dmqt/3", "x", null));
        expect(Reason.INVALID_ARGUMENT, "must not contain white space", () -> driver.create("dmqt 3", "x", null));
        expect(Reason.INVALID_ARGUMENT, "must not contain white space", () -> driver.create("dmqt\n3", "x", null));
        expect(Reason.INVALID_ARGUMENT, "must not contain ':'", () -> driver.create("dmqt:3", "x", null));
        expect(Reason.INVALID_ARGUMENT, "is invalid", () -> driver.create("DMQT3", "x", null));
        expect(Reason.INVALID_ARGUMENT, "MAC address 'nonsense' is invalid",
                () -> driver.create(n("3"), "x", "nonsense"));
        expect(Reason.INVALID_ARGUMENT, "multicast", () -> driver.create(n("3"), "x", "01:00:5e:00:00:01"));
        expect(Reason.INVALID_ARGUMENT, "owner text", () -> driver.create(n("3"), "x".repeat(300), null));
        assertNoDmqtDevices();
    }

    @Test
    public void duplicateIsRefusedAndTheFirstStaysIntact() throws Exception {
        driver.create(n("4"), "carol:eth0", "52:54:00:00:00:04");
        expect(Reason.ALREADY_EXISTS, "creating TAP '" + n("4") + "': EEXIST",
                () -> driver.create(n("4"), "dave:eth0", "52:54:00:00:00:05"));
        assertEquals(Optional.of("carol:eth0"), driver.owner(n("4")));
        assertEquals("52:54:00:00:00:04", driver.mac(n("4")));
        assertTrue(ip("-d", "link", "show", n("4")).contains("persist on"));
    }

    @Test
    public void unknownDevicesAreReportedOrIgnored() {
        expect(Reason.NOT_FOUND, "TAP '" + n("-none") + "' does not exist", () -> driver.delete(n("-none")));
        expect(Reason.NOT_FOUND, "does not exist", () -> driver.up(n("-none")));
        expect(Reason.NOT_FOUND, "does not exist", () -> driver.mac(n("-none")));
        assertFalse(driver.exists(n("-none")));
        assertEquals(Optional.empty(), driver.owner(n("-none")));
        driver.deleteAll(List.of(n("-none"), n("-none2"))); // absent names are ignored
    }

    @Test
    public void foreignTapIsNeverTouched() throws Exception {
        ip("tuntap", "add", "dev", n("5"), "mode", "tap");
        driver.create(n("6"), "erin:eth0", null);

        assertTrue(driver.exists(n("5")));
        assertEquals(Optional.empty(), driver.owner(n("5")));
        assertEquals(List.of(n("6")), driver.listOwned());
        expect(Reason.NOT_OWNED, "device '" + n("5") + "' was not created by Dumm", () -> driver.delete(n("5")));
        expect(Reason.NOT_OWNED, "refusing to set up", () -> driver.up(n("5")));
        expect(Reason.ALREADY_EXISTS, "EEXIST", () -> driver.create(n("5"), "erin:eth1", null));
        // One foreign name fails the whole batch before anything is deleted.
        expect(Reason.NOT_OWNED, n("5"), () -> driver.deleteAll(List.of(n("6"), n("5"))));
        assertTrue(driver.exists(n("6")));
        assertTrue(driver.exists(n("5")));
        assertFalse(isUp(n("5")));
        assertEquals("", sys(n("5"), "ifalias"));
    }

    @Test
    public void batchDeleteNeverTakesOthersInTheScratchGroup() throws Exception {
        driver.create(n("9a"), "f:eth0", null);
        driver.create(n("9b"), "f:eth1", null);
        // A foreign device in the scratch group would be deleted with the batch: refuse.
        ip("tuntap", "add", "dev", n("9f"), "mode", "tap");
        ip("link", "set", n("9f"), "group", String.valueOf(TEST_GROUP + 1));
        expect(Reason.HOST_ERROR, "device '" + n("9f") + "' is in device group " + (TEST_GROUP + 1),
                () -> driver.deleteAll(List.of(n("9a"))));
        assertTrue(driver.exists(n("9a")));
        assertTrue(driver.exists(n("9f")));
        ip("link", "del", n("9f"));

        // One of Dumm's own left there by an interrupted batch goes back home, not away.
        ip("link", "set", n("9b"), "group", String.valueOf(TEST_GROUP + 1));
        assertEquals(Optional.of("f:eth1"), driver.owner(n("9b")));
        driver.deleteAll(List.of(n("9a")));
        assertFalse(driver.exists(n("9a")));
        assertTrue(driver.exists(n("9b")));
        assertEquals(String.valueOf(TEST_GROUP), sys(n("9b"), "netdev_group"));
    }

    @Test
    public void anotherMarkerMeansAnotherOwner() {
        try (TunTapDriver other = new TunTapDriver(new DeviceMarker("dmqother:", TEST_GROUP + 2))) {
            other.create(n("7"), "x:eth0", null);
            assertEquals(Optional.empty(), driver.owner(n("7")));
            expect(Reason.NOT_OWNED, "not created by Dumm", () -> driver.delete(n("7")));
            assertFalse(driver.listOwned().contains(n("7")));
            other.delete(n("7"));
        }
    }

    @Test
    public void batchDeleteOf200Taps() throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            names.add(n(i + "b"));
            driver.create(n(i + "b"), "g" + i + ":eth0", null);
        }
        driver.create(n("keep"), "keep:eth0", null);
        assertEquals(201, driver.listOwned().size());

        List<String> withUnknown = new ArrayList<>(names);
        withUnknown.add(n("-none"));
        driver.deleteAll(withUnknown);

        assertEquals(List.of(n("keep")), driver.listOwned());
        for (String n : names) {
            assertFalse(n, Files.exists(Path.of("/sys/class/net", n)));
        }
        // The survivor is back in the home group, not left in the scratch group.
        assertEquals(String.valueOf(TEST_GROUP), sys(n("keep"), "netdev_group"));
        try (RtLink rt = RtLink.open()) {
            assertTrue(rt.list().stream().noneMatch(l -> l.group() == TEST_GROUP + 1));
        }
    }

    @Test
    public void withoutCapNetAdminTheErrorSaysSo() throws Exception {
        long capset = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> 126;
            case "aarch64" -> 91;
            default -> -1;
        };
        Assume.assumeTrue("capset syscall number unknown here", capset > 0);
        AtomicReference<Throwable> seen = new AtomicReference<>();
        // Capabilities are per thread on Linux: drop them all in a throw-away thread only.
        Thread t = new Thread(() -> {
            var hdr = Native.allocate(8);
            hdr.putInt(0, 0x20080522); // _LINUX_CAPABILITY_VERSION_3, pid 0 = this thread
            var data = Native.allocate(24); // two zeroed __user_cap_data_struct: no capabilities
            if (Native.libc().syscall(capset, hdr.address(), data.address()) != 0) {
                seen.set(Native.error("capset"));
                return;
            }
            try {
                driver.create(n("8"), "x:eth0", null);
            } catch (Throwable e) {
                seen.set(e);
            }
        });
        t.start();
        t.join();
        Throwable e = seen.get();
        assertTrue(String.valueOf(e), e instanceof NativeException);
        assertEquals(Errno.EPERM, ((NativeException) e).errno());
        assertTrue(e.getMessage(), e.getMessage().contains("creating a TAP needs CAP_NET_ADMIN"));
        assertFalse(driver.exists(n("8")));
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

    private static void assertNoDmqtDevices() {
        try (RtLink rt = RtLink.open()) {
            assertEquals(List.of(), rt.list().stream().map(Link::name).filter(d -> d.startsWith(n(""))).toList());
        }
    }

    static String sys(String dev, String attr) throws IOException {
        return Files.readString(Path.of("/sys/class/net", dev, attr)).trim();
    }

    private static boolean isUp(String dev) throws IOException {
        return (Integer.decode(sys(dev, "flags")) & 1) != 0;
    }

    /** Runs ip(8): only to make a foreign device and to cross-check state, never in product code. */
    static String ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(cmd + ": " + out, 0, p.waitFor());
        return out;
    }
}
