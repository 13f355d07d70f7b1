package org.dumm.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Transport;

/**
 * The mesh on disk (DESIGN.md §3): one {@code guest.json} per guest with its definition, and
 * {@code mesh.json} with bridges and links (interface → bridge, addresses). Every write is
 * atomic: temp file, fsync, rename.
 */
final class MeshStore {

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
    private final Map<Path, byte[]> lastWritten = new java.util.concurrent.ConcurrentHashMap<>();

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
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            lastWritten.put(file, bytes);
        } catch (IOException e) {
            lastWritten.remove(file);
            throw new DummException(Reason.HOST_ERROR, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
