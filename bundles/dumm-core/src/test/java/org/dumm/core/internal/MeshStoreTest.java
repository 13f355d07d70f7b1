package org.dumm.core.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.dumm.api.Transport;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class MeshStoreTest {

    /** Long enough that no rewrite pass runs during a test: what is on disk is the journal alone. */
    private static final long NEVER_MS = 3_600_000;

    private Path dir;
    private final List<MeshStore> stores = new ArrayList<>();

    @Before
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("dumm-store");
    }

    @After
    public void tearDown() {
        stores.forEach(MeshStore::close);
        MasterStore.deleteTree(dir);
    }

    private MeshStore store(long flushDelayMs) {
        MeshStore s = new MeshStore(dir, flushDelayMs);
        stores.add(s);
        return s;
    }

    private static GuestRecord guest(String name, int memory) {
        return new GuestRecord(name, "uml", "/usr/bin/linux.uml", "busybox", memory, List.of(), List.of());
    }

    private List<Path> journals() throws IOException {
        Path j = dir.resolve("journal");
        if (!Files.isDirectory(j)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(j)) {
            return s.sorted().toList();
        }
    }

    @Test
    public void roundTripsGuestsBridgesAndLinks() {
        MeshStore store = store(MeshStore.FLUSH_DELAY_MS);
        IfaceRecord eth0 = new IfaceRecord("eth0", "alice-eth0", "52:54:00:00:00:01", Transport.TUNTAP, "net-moon",
                List.of("10.1.0.10/16"));
        IfaceRecord eth1 = new IfaceRecord("eth1", "alice-eth1", "52:54:00:00:00:02", Transport.VECTOR, null, List.of());
        GuestRecord alice = new GuestRecord("alice", "uml", "/usr/bin/linux.uml", "busybox", 64, List.of("lpj=1"),
                List.of(eth0, eth1));
        store.saveGuest(alice);
        store.saveMesh(List.of("net-moon", "internet"), List.of(alice));
        store.close();

        MeshStore.Snapshot s = new MeshStore(dir).load();
        assertEquals(List.of("internet", "net-moon"), s.bridges());
        assertEquals(alice, s.guests().get("alice"));
        assertFalse(Files.exists(dir.resolve("mesh.json.tmp")));
        assertTrue(Files.isRegularFile(dir.resolve("guests/alice/guest.json")));
    }


    /** mesh.json keeps each guest's rendered links: a changed record, a removed guest must show anyway. */
    @Test
    public void meshJsonFollowsEachChangeOfAGuestsLinks() throws Exception {
        MeshStore store = store(MeshStore.FLUSH_DELAY_MS);
        GuestRecord carol = new GuestRecord("carol", "uml", "/usr/bin/linux.uml", "busybox", 64, List.of(),
                List.of(new IfaceRecord("eth0", "carol-eth0", "52:54:00:00:00:04", Transport.TUNTAP, "lan", List.of())));
        GuestRecord dave = new GuestRecord("dave", "uml", "/usr/bin/linux.uml", "busybox", 64, List.of(),
                List.of(new IfaceRecord("eth0", "dave-eth0", "52:54:00:00:00:05", Transport.TUNTAP, "lan", List.of())));
        store.saveGuest(carol);
        store.saveGuest(dave);
        store.saveMesh(List.of("lan", "wan"), List.of(carol, dave));
        GuestRecord carolMoved = carol.updateIface("eth0", i -> i.withBridge("wan").withAddress("10.9.0.1/24", true));
        store.saveMesh(List.of("lan", "wan"), List.of(carolMoved, dave));
        store.saveMesh(List.of("lan", "wan"), List.of(carolMoved));
        store.deleteGuest("dave");
        store.close();

        MeshStore.Snapshot s = new MeshStore(dir).load();
        IfaceRecord eth0 = s.guests().get("carol").interfaces().get(0);
        assertEquals("wan", eth0.bridge());
        assertEquals(List.of("10.9.0.1/24"), eth0.addresses());
        String json = Files.readString(dir.resolve("mesh.json"));
        assertFalse(json, json.contains("dave"));
        assertEquals("the same bytes as rendered in one piece", new String(StateJson.mesh(new MeshStore.MeshFile(
                List.of(new MeshStore.BridgeFile("lan"), new MeshStore.BridgeFile("wan")),
                List.of(new MeshStore.LinkFile("carol", "eth0", "wan", List.of("10.9.0.1/24"))))), UTF_8), json);
    }
    @Test
    public void linkToAVanishedBridgeIsDropped() {
        MeshStore store = store(MeshStore.FLUSH_DELAY_MS);
        GuestRecord bob = new GuestRecord("bob", "uml", "/usr/bin/linux.uml", "busybox", 64, List.of(),
                List.of(new IfaceRecord("eth0", "bob-eth0", "52:54:00:00:00:03", Transport.TUNTAP, "gone", List.of())));
        store.saveGuest(bob);
        store.saveMesh(List.of(), List.of(bob));
        store.close();
        assertNull(new MeshStore(dir).load().guests().get("bob").interfaces().get(0).bridge());
    }

    @Test
    public void aChangeOnlyInTheJournalSurvivesAKilledStore() throws Exception {
        MeshStore killed = store(NEVER_MS);
        killed.saveGuest(guest("dave", 80));
        killed.saveGuest(guest("dave", 96));
        assertFalse("no rewrite pass ran: the journal alone holds it", Files.exists(dir.resolve("guests/dave/guest.json")));
        assertEquals("guest.json pending once, with its newest bytes", 1, killed.unflushedCount());

        MeshStore next = store(NEVER_MS);
        assertEquals(96, next.load().guests().get("dave").memoryMb());
        assertTrue("the replay rewrote the file", Files.readString(dir.resolve("guests/dave/guest.json")).contains("96"));
        assertEquals("replayed journals are deleted", List.of(), journals());
    }

    @Test
    public void aDeletedGuestIsNotBroughtBackByAReplay() {
        MeshStore killed = store(NEVER_MS);
        killed.saveGuest(guest("erin", 64));
        killed.saveGuest(guest("fred", 64));
        killed.flush();
        killed.saveGuest(guest("erin", 72));
        killed.deleteGuest("erin");
        assertFalse(Files.exists(killed.guestDir("erin")));

        MeshStore.Snapshot s = store(NEVER_MS).load();
        assertFalse(s.guests().containsKey("erin"));
        assertEquals(64, s.guests().get("fred").memoryMb());
        assertFalse(Files.exists(dir.resolve("guests/erin/guest.json")));
    }

    @Test
    public void aRecordCutShortEndsTheReplay() throws Exception {
        MeshStore killed = store(NEVER_MS);
        killed.saveGuest(guest("gina", 64));
        killed.saveGuest(guest("gina", 128));
        Path journal = journals().get(0);
        try (FileChannel ch = FileChannel.open(journal, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 3); // the power went during the second write
        }
        assertEquals(64, store(NEVER_MS).load().guests().get("gina").memoryMb());
    }

    @Test
    public void theStoresThreadRewritesTheFilesAndDropsTheJournal() throws Exception {
        MeshStore store = store(MeshStore.FLUSH_DELAY_MS);
        store.saveGuest(guest("hank", 64));
        long end = System.nanoTime() + 10_000_000_000L;
        while (store.unflushedCount() > 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals("the store's own thread rewrote the file", 0, store.unflushedCount());
        assertTrue(Files.readString(dir.resolve("guests/hank/guest.json")).contains("\"hank\""));
        List<Path> left = journals();
        assertEquals("only the fresh, empty journal for the next change is left", 1, left.size());
        assertEquals(0, Files.size(left.get(0)));
    }

    @Test
    public void anUnchangedFileIsNotWrittenAgainButAMissingOneIs() throws Exception {
        MeshStore store = store(NEVER_MS);
        store.saveGuest(guest("ivan", 64));
        store.flush();
        Path file = dir.resolve("guests/ivan/guest.json");
        Object inode = Files.getAttribute(file, "unix:ino");
        store.saveGuest(guest("ivan", 64)); // same bytes: nothing to journal or rewrite
        assertEquals(0, store.unflushedCount());
        store.flush();
        assertEquals(inode, Files.getAttribute(file, "unix:ino"));

        store.saveGuest(guest("ivan", 96));
        assertEquals(1, store.unflushedCount());
        store.flush();
        assertTrue(Files.readString(file).contains("96"));

        Files.delete(file);
        store.saveGuest(guest("ivan", 96));
        store.flush();
        assertTrue("a file removed behind the store's back is written again", Files.isRegularFile(file));
    }

    @Test
    public void afterCloseAWriteGoesStraightToTheFile() throws Exception {
        MeshStore store = store(NEVER_MS);
        store.saveGuest(guest("jack", 64));
        store.close();
        assertTrue("close ran the pending rewrite", Files.readString(dir.resolve("guests/jack/guest.json")).contains("64"));
        store.saveGuest(guest("jack", 96));
        assertEquals(0, store.unflushedCount());
        assertTrue(Files.readString(dir.resolve("guests/jack/guest.json")).contains("96"));
        assertEquals("no journal is left behind", List.of(), journals());
    }

    @Test
    public void concurrentChangesDuringRewritePassesAllArrive() throws Exception {
        MeshStore store = store(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                String name = "g" + t;
                fs.add(pool.submit(() -> {
                    for (int m = 1; m <= 200; m++) {
                        store.saveGuest(guest(name, m));
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        // killed after its last pass, if one was under way: whatever mix of files and journals
        // is on disk must give the last values
        store.halt();
        MeshStore.Snapshot s = store(NEVER_MS).load();
        for (int t = 0; t < 4; t++) {
            assertEquals(200, s.guests().get("g" + t).memoryMb());
        }
    }
}
