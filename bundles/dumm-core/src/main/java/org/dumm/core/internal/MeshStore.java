package org.dumm.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh on disk (DESIGN.md §3): one {@code guest.json} per guest with its definition, and
 * {@code mesh.json} with bridges and links (interface → bridge, addresses). Every write is
 * atomic (temp file, rename) and in the file when the call returns, so a Karaf that is killed
 * loses nothing. Forcing it to the disk (fsync of the file and its directory) happens right
 * after on a thread of the store's own, not in the caller's time: those two fsyncs were the
 * largest part of connecting an interface (4-13 ms of a 14 ms connect on a busy host). A power
 * cut within those few milliseconds loses the change, as it does the guests and host devices
 * it describes. {@link #close} waits for every pending fsync.
 */
final class MeshStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MeshStore.class);
    /**
     * How long the fsync waits after a write: one operation writes guest.json and mesh.json one
     * after the other, and both are then forced in one pass rather than an fsync (a journal
     * commit) running between the two writes.
     */
    private static final long SYNC_DELAY_MS = Long.getLong("dumm.store.syncDelayMs", 20);

    /** guest.json: the definition without links. */
    record GuestFile(String name, String backend, String kernel, String master, int memoryMb,
                     List<String> extraArgs, List<IfaceFile> interfaces) {
    }

    record IfaceFile(String name, String tap, String mac, Transport transport) {
    }

    /** mesh.json. */
    record MeshFile(List<BridgeFile> bridges, List<LinkFile> links) {
    }

    record BridgeFile(String name) {
    }

    record LinkFile(String guest, String iface, String bridge, List<String> addresses) {
    }

    /** What {@link #load()} returns. */
    record Snapshot(Map<String, GuestRecord> guests, List<String> bridges) {
    }

    private final ObjectMapper json = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private final Path workDir;
    /** Files renamed into place whose content and directory entry are not yet forced to disk. */
    private final Set<Path> unsynced = ConcurrentHashMap.newKeySet();
    private final Object syncLock = new Object();
    private final ScheduledExecutorService syncer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dumm-store-sync");
        t.setDaemon(true);
        return t;
    });

    MeshStore(Path workDir) {
        this.workDir = workDir;
    }

    Path guestDir(String guest) {
        return workDir.resolve("guests").resolve(guest);
    }

    Snapshot load() {
        Map<String, GuestRecord> guests = new TreeMap<>();
        Path guestsDir = workDir.resolve("guests");
        if (Files.isDirectory(guestsDir)) {
            try (Stream<Path> dirs = Files.list(guestsDir)) {
                for (Path dir : (Iterable<Path>) dirs::iterator) {
                    Path file = dir.resolve("guest.json");
                    if (Files.isRegularFile(file)) {
                        GuestFile g = json.readValue(file.toFile(), GuestFile.class);
                        List<IfaceRecord> ifaces = new ArrayList<>();
                        for (IfaceFile i : g.interfaces() == null ? List.<IfaceFile>of() : g.interfaces()) {
                            ifaces.add(new IfaceRecord(i.name(), i.tap(), i.mac(), i.transport(), null, List.of()));
                        }
                        guests.put(g.name(), new GuestRecord(g.name(), g.backend(), g.kernel(), g.master(),
                                g.memoryMb(), g.extraArgs(), ifaces));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading guest definitions in " + guestsDir, e);
            }
        }
        List<String> bridges = new ArrayList<>();
        Path meshFile = workDir.resolve("mesh.json");
        if (Files.isRegularFile(meshFile)) {
            try {
                MeshFile mesh = json.readValue(meshFile.toFile(), MeshFile.class);
                for (BridgeFile b : mesh.bridges() == null ? List.<BridgeFile>of() : mesh.bridges()) {
                    bridges.add(b.name());
                }
                for (LinkFile link : mesh.links() == null ? List.<LinkFile>of() : mesh.links()) {
                    GuestRecord g = guests.get(link.guest());
                    if (g != null && g.iface(link.iface()).isPresent()) {
                        String bridge = bridges.contains(link.bridge()) ? link.bridge() : null;
                        guests.put(g.name(), g.updateIface(link.iface(), i -> new IfaceRecord(
                                i.name(), i.tap(), i.mac(), i.transport(), bridge, link.addresses())));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + meshFile, e);
            }
        }
        return new Snapshot(guests, bridges);
    }

    void saveGuest(GuestRecord g) {
        List<IfaceFile> ifaces = g.interfaces().stream()
                .map(i -> new IfaceFile(i.name(), i.tap(), i.mac(), i.transport())).toList();
        write(guestDir(g.name()).resolve("guest.json"), new GuestFile(g.name(), g.backend(), g.kernel(),
                g.master(), g.memoryMb(), g.extraArgs(), ifaces));
    }

    void saveMesh(Collection<String> bridges, Collection<GuestRecord> guests) {
        List<LinkFile> links = new ArrayList<>();
        for (GuestRecord g : guests) {
            for (IfaceRecord i : g.interfaces()) {
                if (i.bridge() != null || !i.addresses().isEmpty()) {
                    links.add(new LinkFile(g.name(), i.name(), i.bridge(), i.addresses()));
                }
            }
        }
        write(workDir.resolve("mesh.json"),
                new MeshFile(bridges.stream().sorted().map(BridgeFile::new).toList(), links));
    }

    /**
     * What this store last wrote to each file: a write of the same bytes to a file still there is
     * skipped, so that e.g. connecting an interface (mesh.json changes, guest.json does not)
     * pays for one fsync, not two.
     */
    private final Map<Path, byte[]> lastWritten = new ConcurrentHashMap<>();

    private void write(Path file, Object value) {
        try {
            byte[] bytes = json.writeValueAsBytes(value);
            if (java.util.Arrays.equals(lastWritten.get(file), bytes) && Files.isRegularFile(file)) {
                return;
            }
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            lastWritten.put(file, bytes);
        } catch (IOException e) {
            lastWritten.remove(file);
            throw new DummException(Reason.HOST_ERROR, "cannot write " + file + ": " + e.getMessage(), e);
        }
        if (unsynced.add(file)) {
            try {
                syncer.schedule(this::sync, SYNC_DELAY_MS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                sync();
            }
        }
    }

    /** Forces every file written so far, and its directory entry, to disk. */
    void sync() {
        synchronized (syncLock) {
            for (Path file : List.copyOf(unsynced)) {
                unsynced.remove(file); // first: a write racing with this fsync queues the file again
                try {
                    force(file);
                    force(file.getParent()); // the rename
                } catch (NoSuchFileException gone) {
                    // deleted meanwhile (guest deleted): nothing to keep
                } catch (IOException e) {
                    LOG.warn("could not force {} to disk: {}", file, e.getMessage());
                }
            }
        }
    }

    /** Files written whose fsync is still to come. */
    int unsyncedCount() {
        return unsynced.size();
    }

    private static void force(Path path) throws IOException {
        // Linux lets a read-only descriptor, of a directory too, be fsync'ed
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Waits for pending fsyncs; later writes force themselves on the caller's thread. */
    @Override
    public void close() {
        syncer.shutdown();
        try {
            syncer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sync();
    }
}
