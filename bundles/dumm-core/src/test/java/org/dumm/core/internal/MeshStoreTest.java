package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.dumm.api.Transport;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class MeshStoreTest {

    private Path dir;

    @Before
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("dumm-store");
    }

    @After
    public void tearDown() {
        MasterStore.deleteTree(dir);
    }

    @Test
    public void roundTripsGuestsBridgesAndLinks() {
        MeshStore store = new MeshStore(dir);
        IfaceRecord eth0 = new IfaceRecord("eth0", "alice-eth0", "52:54:00:00:00:01", Transport.TUNTAP, "net-moon",
                List.of("10.1.0.10/16"));
        IfaceRecord eth1 = new IfaceRecord("eth1", "alice-eth1", "52:54:00:00:00:02", Transport.VECTOR, null, List.of());
        GuestRecord alice = new GuestRecord("alice", "uml", "/usr/bin/linux.uml", "busybox", 64, List.of("lpj=1"),
                List.of(eth0, eth1));
        store.saveGuest(alice);
        store.saveMesh(List.of("net-moon", "internet"), List.of(alice));

        MeshStore.Snapshot s = new MeshStore(dir).load();
        assertEquals(List.of("internet", "net-moon"), s.bridges());
        assertEquals(alice, s.guests().get("alice"));
        assertFalse(Files.exists(dir.resolve("mesh.json.tmp")));
        assertTrue(Files.isRegularFile(dir.resolve("guests/alice/guest.json")));
    }

    @Test
    public void linkToAVanishedBridgeIsDropped() {
        MeshStore store = new MeshStore(dir);
        GuestRecord bob = new GuestRecord("bob", "uml", "/usr/bin/linux.uml", "busybox", 64, List.of(),
                List.of(new IfaceRecord("eth0", "bob-eth0", "52:54:00:00:00:03", Transport.TUNTAP, "gone", List.of())));
        store.saveGuest(bob);
        store.saveMesh(List.of(), List.of(bob));
        assertNull(new MeshStore(dir).load().guests().get("bob").interfaces().get(0).bridge());
    }

    @Test
    public void anUnchangedFileIsNotWrittenAgainButAMissingOneIs() throws Exception {
        MeshStore store = new MeshStore(dir);
        GuestRecord carol = new GuestRecord("carol", "uml", "/usr/bin/linux.uml", "busybox", 64, List.of(), List.of());
        store.saveGuest(carol);
        Path file = dir.resolve("guests/carol/guest.json");
        Object inode = Files.getAttribute(file, "unix:ino");
        store.saveGuest(carol); // same bytes: skipped (a write would rename a new inode into place)
        assertEquals(inode, Files.getAttribute(file, "unix:ino"));

        store.saveGuest(new GuestRecord("carol", "uml", "/usr/bin/linux.uml", "busybox", 96, List.of(), List.of()));
        assertTrue(Files.readString(file).contains("96"));

        Files.delete(file);
        store.saveGuest(new GuestRecord("carol", "uml", "/usr/bin/linux.uml", "busybox", 96, List.of(), List.of()));
        assertTrue("a file removed behind the store's back is written again", Files.isRegularFile(file));
    }

    @Test
    public void aWriteIsInTheFileAtOnceAndForcedToDiskByTheStoreSoonAfter() throws Exception {
        MeshStore store = new MeshStore(dir);
        GuestRecord dave = new GuestRecord("dave", "uml", "/usr/bin/linux.uml", "busybox", 80, List.of(), List.of());
        store.saveGuest(dave);
        assertEquals(dave, new MeshStore(dir).load().guests().get("dave"));
        long end = System.nanoTime() + 10_000_000_000L;
        while (store.unsyncedCount() > 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals("the store's own thread forced the write", 0, store.unsyncedCount());

        store.close();
        store.saveGuest(new GuestRecord("dave", "uml", "/usr/bin/linux.uml", "busybox", 96, List.of(), List.of()));
        assertEquals("after close a write forces itself before returning", 0, store.unsyncedCount());
        assertEquals(96, new MeshStore(dir).load().guests().get("dave").memoryMb());
    }

    @Test
    public void aFileDeletedBeforeItsFsyncIsSkipped() {
        MeshStore store = new MeshStore(dir);
        store.saveGuest(new GuestRecord("erin", "uml", "/usr/bin/linux.uml", "busybox", 64, List.of(), List.of()));
        MasterStore.deleteTree(store.guestDir("erin"));
        store.sync();
        assertEquals(0, store.unsyncedCount());
        store.close();
    }
}
