package org.dumm.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.LinkState;
import org.dumm.api.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh on disk (DESIGN.md §3): one {@code guest.json} per guest with its definition, and
 * {@code mesh.json} with bridges and links (interface → bridge, addresses).
 *
 * <p>A change is appended to a journal ({@code journal/<n>}, one write(2) of the new file's
 * bytes) before the call returns, so a Karaf that is killed loses nothing: the next {@link #load}
 * replays it. Rewriting the json files (temp file, rename) and forcing them to disk happen a
 * little later on a thread of the store's own, for every change made meanwhile in one pass; then
 * the journals they cover are deleted. Renaming two files into place cost 2-5 ms of a 10 ms
 * interface connect on this kind of host, an append ~0.05 ms. A power cut before that pass loses
 * the last changes, as it does the guests and host devices they describe. {@link #close} runs the
 * pass and waits for it; writes after it go straight to the files.
 */
final class MeshStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MeshStore.class);
    /**
     * How long after a change the files are rewritten: one operation writes guest.json and
     * mesh.json one after the other, and a burst of operations should cost one pass.
     */
    static final long FLUSH_DELAY_MS = Long.getLong("dumm.store.flushDelayMs", 20);
    private static final String JOURNAL_DIR = "journal";

    /** guest.json: the definition without links. */
    record GuestFile(String name, String backend, String kernel, String master, int memoryMb,
                     List<String> extraArgs, List<IfaceFile> interfaces, String modules) {
        /** As written before guests could name their modules directory. */
        GuestFile(String name, String backend, String kernel, String master, int memoryMb, List<String> extraArgs,
                  List<IfaceFile> interfaces) {
            this(name, backend, kernel, master, memoryMb, extraArgs, interfaces, null);
        }
    }

    record IfaceFile(String name, String tap, String mac, Transport transport) {
    }

    /** mesh.json. */
    record MeshFile(List<BridgeFile> bridges, List<LinkFile> links) {
    }

    record BridgeFile(String name) {
    }

    record LinkFile(String guest, String iface, String bridge, List<String> addresses, LinkState link) {
        LinkFile {
            link = link == null ? LinkState.DEFAULT : link;
        }

        /** As written before cables had a state. */
        LinkFile(String guest, String iface, String bridge, List<String> addresses) {
            this(guest, iface, bridge, addresses, LinkState.DEFAULT);
        }
    }

    /** What {@link #load()} returns. */
    record Snapshot(Map<String, GuestRecord> guests, List<String> bridges) {
    }

    private final Path workDir;
    private final Path journalDir;
    private final long flushDelayMs;

    /** Guards the fields below; held only for in-memory work and one journal append. */
    private final Object lock = new Object();
    /** What each file holds or will hold once the pending rewrite is done. */
    private final Map<Path, byte[]> latest = new HashMap<>();
    /** Files whose new bytes are only in the journal so far. */
    private Map<Path, byte[]> pending = new LinkedHashMap<>();
    /** Files taken out of {@link #pending} by a pass that has not finished. */
    private int inFlight;
    private boolean flushScheduled;
    private boolean closed;
    private Journal journal;
    /** Number of the newest journal file made by this store (or found on disk at load). */
    private long journalSeq;

    /** The files' bytes, rendered piece by piece; saveGuest's and saveMesh's callers hold the model's lock. */
    private final StateRendering rendering = new StateRendering();

    /** Serialises rewrite passes, loads and guest deletions, so a pass never recreates a deleted guest's file. */
    private final Object passLock = new Object();
    private final ScheduledThreadPoolExecutor flusher = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "dumm-store-flush");
        t.setDaemon(true);
        return t;
    });

    {
        // close() runs the last pass itself: a pass still waiting for its delay is dropped
        flusher.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    private record Journal(long seq, Path path, FileChannel channel) {
    }

    /** The first journal number this store makes; older ones are an earlier run's, for {@link #load} to replay. */
    private final long firstOwnSeq;

    MeshStore(Path workDir) {
        this(workDir, FLUSH_DELAY_MS);
    }

    /** With the rewrite pass {@code flushDelayMs} after a change (tests stretch it to see the journal at work). */
    MeshStore(Path workDir, long flushDelayMs) {
        this.workDir = workDir;
        this.flushDelayMs = flushDelayMs;
        this.journalDir = workDir.resolve(JOURNAL_DIR);
        try {
            List<Journal> old = journalsOnDisk();
            journalSeq = old.isEmpty() ? 0 : old.get(old.size() - 1).seq();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + journalDir, e);
        }
        firstOwnSeq = journalSeq + 1;
    }

    Path guestDir(String guest) {
        return workDir.resolve("guests").resolve(guest);
    }

    /**
     * Reads the mesh back: first every journal left by an earlier store that did not finish its
     * rewrite (a killed Karaf) is replayed into the files and deleted.
     */
    Snapshot load() {
        synchronized (passLock) {
            replayJournals();
        }
        Map<String, GuestRecord> guests = new TreeMap<>();
        Path guestsDir = workDir.resolve("guests");
        if (Files.isDirectory(guestsDir)) {
            try (Stream<Path> dirs = Files.list(guestsDir)) {
                for (Path dir : (Iterable<Path>) dirs::iterator) {
                    Path file = dir.resolve("guest.json");
                    if (Files.isRegularFile(file)) {
                        GuestFile g = StateJson.readGuest(Files.readAllBytes(file));
                        List<IfaceRecord> ifaces = new ArrayList<>();
                        for (IfaceFile i : g.interfaces()) { // StateJson reads a missing list as empty
                            ifaces.add(new IfaceRecord(i.name(), i.tap(), i.mac(), i.transport(), null, List.of()));
                        }
                        guests.put(g.name(), new GuestRecord(g.name(), g.backend(), g.kernel(), g.master(),
                                g.memoryMb(), g.extraArgs(), ifaces, g.modules()));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading guest definitions in " + guestsDir + ": " + e.getMessage(), e);
            }
        }
        List<String> bridges = new ArrayList<>();
        Path meshFile = workDir.resolve("mesh.json");
        if (Files.isRegularFile(meshFile)) {
            try {
                MeshFile mesh = StateJson.readMesh(Files.readAllBytes(meshFile));
                for (BridgeFile b : mesh.bridges()) {
                    bridges.add(b.name());
                }
                for (LinkFile link : mesh.links()) {
                    GuestRecord g = guests.get(link.guest());
                    if (g != null && g.iface(link.iface()).isPresent()) {
                        String bridge = bridges.contains(link.bridge()) ? link.bridge() : null;
                        guests.put(g.name(), g.updateIface(link.iface(), i -> new IfaceRecord(
                                i.name(), i.tap(), i.mac(), i.transport(), bridge, link.addresses(), link.link())));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + meshFile, e);
            }
        }
        return new Snapshot(guests, bridges);
    }

    void saveGuest(GuestRecord g) {
        write(guestDir(g.name()).resolve("guest.json"), rendering.guest(g));
    }

    /** mesh.json from the model: bridges, and each guest's links (rendered again only where they changed). */
    void saveMesh(Collection<String> bridges, Collection<GuestRecord> guests) {
        write(workDir.resolve("mesh.json"), rendering.mesh(bridges, guests));
    }

    /**
     * Removes a guest's directory, and from the journal's point of view its definition: a
     * replay must not bring back a deleted guest.
     */
    void deleteGuest(String guest) {
        Path dir = guestDir(guest);
        rendering.forget(guest);
        synchronized (passLock) {
            synchronized (lock) {
                pending.keySet().removeIf(f -> f.startsWith(dir));
                latest.keySet().removeIf(f -> f.startsWith(dir));
                if (!closed) {
                    append('D', dir, new byte[0]);
                }
            }
            MasterStore.deleteTree(dir);
        }
    }

    private void write(Path file, byte[] bytes) {
        synchronized (lock) {
            if (!closed) {
                // Same bytes as the file holds or will hold: e.g. connecting an interface changes
                // mesh.json, not guest.json. A file removed behind the store's back is written again.
                if (Arrays.equals(latest.get(file), bytes) && (pending.containsKey(file) || Files.isRegularFile(file))) {
                    return;
                }
                append('W', file, bytes);
                latest.put(file, bytes);
                pending.put(file, bytes);
                if (!flushScheduled) {
                    flushScheduled = true;
                    try {
                        flusher.schedule(this::flush, flushDelayMs, TimeUnit.MILLISECONDS);
                    } catch (RejectedExecutionException shutDown) {
                        flushScheduled = false; // close() is about to run its own pass
                    }
                }
                return;
            }
        }
        synchronized (passLock) {
            try {
                writeForced(file, bytes);
            } catch (IOException e) {
                throw new DummException(Reason.HOST_ERROR, "cannot write " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** One record, one write(2): {@code <W|D> <length> <path relative to the work dir>\n<bytes>}. Holds {@link #lock}. */
    private void append(char op, Path file, byte[] bytes) {
        byte[] head = (op + " " + bytes.length + " " + workDir.relativize(file) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer record = ByteBuffer.allocate(head.length + bytes.length).put(head).put(bytes).flip();
        try {
            if (journal == null) {
                journal = openJournal(++journalSeq);
            }
            while (record.hasRemaining()) {
                journal.channel().write(record);
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot append to the mesh journal in " + journalDir + ": " + e.getMessage(), e);
        }
    }

    private Journal openJournal(long seq) throws IOException {
        Files.createDirectories(journalDir);
        Path path = journalDir.resolve(String.format("%08d", seq));
        return new Journal(seq, path, FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND));
    }

    /**
     * The rewrite pass: every pending file renamed into place and forced to disk, then the
     * journals that held those changes deleted. Changes made during the pass go to a fresh
     * journal, opened before the switch so that no caller pays for creating a file.
     */
    void flush() {
        synchronized (passLock) {
            Journal next = null;
            Map<Path, byte[]> batch;
            Journal done;
            boolean last;
            long nextSeq;
            synchronized (lock) {
                flushScheduled = false;
                if (pending.isEmpty() && journal == null) {
                    return;
                }
                last = closed;
                nextSeq = journalSeq + 1;
            }
            if (!last) {
                try {
                    next = openJournal(nextSeq);
                } catch (IOException e) {
                    LOG.warn("cannot open the next mesh journal: {}", e.getMessage());
                }
            }
            synchronized (lock) {
                batch = pending;
                pending = new LinkedHashMap<>();
                inFlight = batch.size();
                done = journal;
                journal = next;
                if (next != null) {
                    journalSeq = next.seq();
                }
            }
            boolean ok = true;
            try {
                Set<Path> dirs = new LinkedHashSet<>();
                for (Map.Entry<Path, byte[]> f : batch.entrySet()) {
                    writeFile(f.getKey(), f.getValue());
                    dirs.add(f.getKey().getParent());
                }
                for (Path f : batch.keySet()) {
                    force(f);
                }
                for (Path d : dirs) {
                    force(d); // the renames
                }
            } catch (IOException e) {
                ok = false;
                LOG.warn("could not rewrite the mesh files ({}); the journal keeps the changes", e.getMessage());
                synchronized (lock) {
                    // A newer version pending wins; this one is tried again by the next pass.
                    batch.forEach(pending::putIfAbsent);
                }
            }
            try {
                if (done != null) {
                    closeQuietly(done.channel());
                    if (ok) {
                        deleteJournals(firstOwnSeq, done.seq());
                    }
                }
            } finally {
                synchronized (lock) {
                    inFlight = 0; // only now: the pass ends when the journals it covered are gone
                }
            }
        }
    }

    /** Files changed whose rewrite pass has not finished yet (file in place and forced, its journal dropped). */
    int unflushedCount() {
        synchronized (lock) {
            return pending.size() + inFlight;
        }
    }

    private static void writeFile(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** One file rewritten and on disk, with its rename, before this returns. */
    private static void writeForced(Path file, byte[] bytes) throws IOException {
        writeFile(file, bytes);
        force(file);
        force(file.getParent());
    }

    private static void force(Path path) throws IOException {
        // Linux lets a read-only descriptor, of a directory too, be fsync'ed
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Journal files on disk, oldest first. */
    private List<Journal> journalsOnDisk() throws IOException {
        List<Journal> found = new ArrayList<>();
        if (!Files.isDirectory(journalDir)) {
            return found;
        }
        try (Stream<Path> files = Files.list(journalDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (n.matches("\\d{1,18}")) {
                    found.add(new Journal(Long.parseLong(n), f, null));
                }
            }
        }
        found.sort(Comparator.comparingLong(Journal::seq));
        return found;
    }

    private void deleteJournals(long from, long to) {
        try {
            for (Journal j : journalsOnDisk()) {
                if (j.seq() >= from && j.seq() <= to) {
                    Files.deleteIfExists(j.path());
                }
            }
        } catch (IOException e) {
            LOG.warn("could not delete old mesh journals in {}: {}", journalDir, e.getMessage());
        }
    }

    /**
     * Applies journals found on disk to the files, in order, and deletes them. A record cut
     * short (a write under way when the power went) ends its journal: nothing after it was
     * acknowledged. Holds {@link #passLock}.
     */
    private void replayJournals() {
        List<Journal> journals;
        try {
            journals = journalsOnDisk().stream().filter(j -> j.seq() < firstOwnSeq).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + journalDir, e);
        }
        Map<Path, byte[]> files = new LinkedHashMap<>();
        Set<Path> deleted = new LinkedHashSet<>();
        for (Journal j : journals) {
            byte[] all;
            try {
                all = Files.readAllBytes(j.path());
            } catch (NoSuchFileException gone) {
                continue; // its store's rewrite pass finished meanwhile: the files hold it
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + j.path(), e);
            }
            int at = 0;
            while (at < all.length) {
                int nl = indexOf(all, (byte) '\n', at);
                if (nl < 0) {
                    LOG.warn("{}: last record cut short; ignored", j.path());
                    break;
                }
                String[] head = new String(all, at, nl - at, StandardCharsets.UTF_8).split(" ", 3);
                int length;
                try {
                    length = head.length == 3 ? Integer.parseInt(head[1]) : -1;
                } catch (NumberFormatException e) {
                    length = -1;
                }
                Path file = head.length == 3 ? workDir.resolve(head[2]).normalize() : null;
                if (length < 0 || nl + 1 + length > all.length || !file.startsWith(workDir)
                        || !(head[0].equals("W") || head[0].equals("D"))) {
                    LOG.warn("{}: unreadable or cut-short record at byte {}; the rest is ignored", j.path(), at);
                    break;
                }
                if (head[0].equals("W")) {
                    files.put(file, Arrays.copyOfRange(all, nl + 1, nl + 1 + length));
                    deleted.remove(file.getParent());
                } else {
                    files.keySet().removeIf(f -> f.startsWith(file));
                    deleted.add(file);
                }
                at = nl + 1 + length;
            }
        }
        try {
            for (Path dir : deleted) {
                // only the definition: the rest of the directory may be a mounted root
                Files.deleteIfExists(dir.resolve("guest.json"));
            }
            for (Map.Entry<Path, byte[]> f : files.entrySet()) {
                writeForced(f.getKey(), f.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("replaying the mesh journal in " + journalDir, e);
        }
        if (!journals.isEmpty()) {
            LOG.info("replayed {} change(s) from {} mesh journal file(s) left by an earlier run",
                    files.size() + deleted.size(), journals.size());
            deleteJournals(0, firstOwnSeq - 1);
        }
    }

    private static int indexOf(byte[] a, byte b, int from) {
        for (int i = from; i < a.length; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // only a journal that is about to be deleted or kept for replay
        }
    }

    /**
     * Stops the store's thread after the pass under way, if any, and runs none of its own: the
     * files and journals are then left as a killed Karaf leaves them. For tests.
     */
    void halt() {
        flusher.shutdown();
        try {
            flusher.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs the last rewrite pass and waits for it; later writes go straight to the files. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        flusher.shutdown();
        try {
            flusher.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
