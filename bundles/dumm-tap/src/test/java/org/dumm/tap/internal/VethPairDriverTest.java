package org.dumm.tap.internal;

import static org.dumm.tap.internal.TunTapDriverTest.TEST_GROUP;
import static org.dumm.tap.internal.TunTapDriverTest.TEST_PREFIX;
import static org.dumm.tap.internal.TunTapDriverTest.n;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.VethDriver;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.nativ.net.Link;
import org.dumm.nativ.net.LinkRequest;
import org.dumm.nativ.net.RtLink;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The veth driver against the real kernel, with the TAP test's run-scoped names and marker. */
public class VethPairDriverTest {

    private VethPairDriver driver;

    @Before
    public void setUp() {
        driver = new VethPairDriver(new DeviceMarker(TEST_PREFIX, TEST_GROUP));
    }

    @After
    public void tearDown() {
        driver.close();
        try (RtLink rt = RtLink.open()) {
            for (Link l : rt.list()) {
                if (l.name().startsWith(n("")) || l.name().equals(VethDriver.peerName(n("v0")))
                        || l.name().equals(VethDriver.peerName(n("v1")))) {
                    try {
                        rt.delete(l.index(), "cleaning up " + l.name());
                    } catch (RuntimeException e) {
                        // the peer went with its host end
                    }
                }
            }
        }
    }

    @Test
    public void pairOnABridgeMovedIntoANamespaceAndDeletedInOneBatch() throws Exception {
        try (RtLink rt = RtLink.open()) {
            rt.create(LinkRequest.named(n("vbr")).kind("bridge").group(TEST_GROUP).up(true), "test bridge");
            rt.change(LinkRequest.named(n("vbr")).alias(TEST_PREFIX + "bridge"), "marking test bridge");
        }
        String peer = VethDriver.peerName(n("v0"));
        driver.createUp(n("v0"), "carol:eth0", n("vbr"));
        assertEquals(Optional.of("carol:eth0"), driver.owner(n("v0")));
        assertEquals(Optional.of("carol:eth0"), driver.owner(peer));
        assertEquals(List.of(n("v0"), peer).stream().sorted().toList(), driver.listOwned());
        assertEquals(n("vbr"), Path.of("/sys/class/net", n("v0"), "master").toRealPath().getFileName().toString());
        try (RtLink rt = RtLink.open()) {
            assertTrue(rt.get(n("v0")).orElseThrow().isUp());
            assertFalse(rt.get(peer).orElseThrow().isUp());
        }
        assertEquals(String.valueOf(TEST_GROUP), Files.readString(Path.of("/sys/class/net", peer, "netdev_group")).trim());

        try {
            driver.createUp(n("v0"), "carol:eth0", null);
            fail("name taken");
        } catch (DummException e) {
            assertEquals(Reason.ALREADY_EXISTS, e.reason());
        }

        Process ns = new ProcessBuilder("unshare", "--net", "sleep", "60").start();
        try {
            Thread.sleep(300);
            long pid = ns.descendants().findFirst().map(ProcessHandle::pid).orElse(ns.pid());
            driver.moveInto(n("v0"), pid, "eth3", "52:54:00:12:34:56");
            assertFalse(driver.exists(peer));
            String dev = Files.readString(Path.of("/proc", String.valueOf(pid), "net/dev"));
            assertTrue(dev, dev.contains("eth3:"));
            try {
                driver.moveInto(n("v0"), pid, "eth4", null);
                fail("peer is gone from the host");
            } catch (DummException e) {
                assertEquals(Reason.NOT_FOUND, e.reason());
            }
            // made straight in the namespace: no peer in the host's
            driver.createUpInto(n("v1"), "carol:eth1", n("vbr"), pid, "eth5", "52:54:00:12:34:57");
            assertFalse(driver.exists(VethDriver.peerName(n("v1"))));
            assertEquals(Optional.of("carol:eth1"), driver.owner(n("v1")));
            dev = Files.readString(Path.of("/proc", String.valueOf(pid), "net/dev"));
            assertTrue(dev, dev.contains("eth5:"));
            driver.deleteAll(List.of(n("v0"), n("v1"), n("none")));
            assertFalse(driver.exists(n("v0")));
            assertFalse(driver.exists(n("v1")));
            assertFalse(driver.exists(VethDriver.peerName(n("v1"))));
            dev = Files.readString(Path.of("/proc", String.valueOf(pid), "net/dev"));
            assertFalse(dev, dev.contains("eth3:"));
            assertFalse(dev, dev.contains("eth5:"));
            assertTrue(driver.listOwned().isEmpty());
        } finally {
            ns.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    public void refusesDevicesThatAreNotItsVeths() throws Exception {
        try (RtLink rt = RtLink.open()) {
            rt.create(LinkRequest.named(n("fbr")).kind("bridge"), "foreign bridge");
        }
        try {
            driver.createUp(n("v1"), "x:eth0", n("fbr"));
            fail("foreign bridge");
        } catch (DummException e) {
            assertEquals(Reason.NOT_OWNED, e.reason());
        }
        assertFalse(driver.exists(n("v1")));
        try {
            driver.delete(n("fbr"));
            fail("not Dumm's");
        } catch (DummException e) {
            assertEquals(Reason.NOT_OWNED, e.reason());
        }
        try {
            driver.deleteAll(List.of(n("fbr")));
            fail("not Dumm's");
        } catch (DummException e) {
            assertEquals(Reason.NOT_OWNED, e.reason());
        }
        assertTrue(driver.exists(n("fbr")));
    }
}
