package org.dumm.lab.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.dumm.api.ExecResult;
import org.dumm.api.Guest;
import org.dumm.bridge.internal.LinuxBridgeDriver;
import org.dumm.core.internal.EmbeddedMesh;
import org.dumm.core.internal.MeshManager;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.tap.internal.TunTapDriver;
import org.dumm.templates.internal.FileTemplateStore;
import org.dumm.uml.internal.UmlBackend;
import org.dumm.unionfs.internal.OverlayUnionFs;

/**
 * An embedded mesh on the real drivers and UML backend for the lab tests, in a working directory
 * of its own, with device marker {@code dml}/3921; {@link #close} deletes every guest and bridge
 * and checks that no TAP or bridge of the marker is left.
 */
final class LabMesh implements AutoCloseable {

    static final DeviceMarker MARKER = new DeviceMarker("dml", 3921);
    static final Duration EXEC = Duration.ofSeconds(20);

    final Path workDir;
    final TunTapDriver taps = new TunTapDriver(MARKER);
    final LinuxBridgeDriver bridges = new LinuxBridgeDriver(MARKER);
    final OverlayUnionFs unionFs = new OverlayUnionFs();
    final UmlBackend backend = new UmlBackend();
    MeshManager mesh;
    LabServiceImpl labs;

    LabMesh() throws IOException {
        workDir = Files.createTempDirectory("dml-mesh");
        restart();
    }

    /** A new mesh and lab service on the same working directory (as after a Karaf restart). */
    void restart() {
        if (mesh != null) {
            EmbeddedMesh.deactivate(mesh);
        }
        mesh = EmbeddedMesh.create(taps, bridges, unionFs, FileTemplateStore.at(workDir, unionFs), backend,
                Map.of("workDir", workDir.toString()));
        labs = new LabServiceImpl(mesh, Map.of());
    }

    ExecResult exec(String guest, String command) {
        return mesh.exec(guest, command, EXEC);
    }

    boolean ping(String from, String to) {
        return exec(from, "ping -c 1 -W 2 " + to).exitStatus() == 0;
    }

    @Override
    public void close() {
        try {
            for (Guest g : mesh.guests()) {
                try {
                    mesh.deleteGuest(g.name(), true);
                } catch (RuntimeException e) {
                    System.err.println("teardown: " + e.getMessage());
                }
            }
            mesh.bridges().forEach(b -> mesh.deleteBridge(b.name()));
            EmbeddedMesh.deactivate(mesh);
        } finally {
            backend.deactivate();
            for (Path p : unionFs.mountsUnder(workDir)) {
                unionFs.unmount(p);
            }
            List<String> leftTaps = taps.listOwned();
            List<String> leftBridges = bridges.listOwned();
            if (!leftTaps.isEmpty()) {
                taps.deleteAll(leftTaps);
            }
            if (!leftBridges.isEmpty()) {
                bridges.deleteAll(leftBridges);
            }
            taps.close();
            bridges.close();
            LabServiceImpl.deleteTree(workDir);
            assertTrue("TAPs left: " + leftTaps, leftTaps.isEmpty());
            assertTrue("bridges left: " + leftBridges, leftBridges.isEmpty());
        }
    }

    /** Writes a lab directory: file name to content ("pc1/etc/x" makes directories). */
    static Path lab(Path dir, Map<String, String> files) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = dir.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue());
        }
        return dir;
    }

    static void assertUnchanged(Guest before, Guest after) {
        assertEquals("guest " + before.name() + " was restarted", before.pid(), after.pid());
        assertEquals(before.startedAt(), after.startedAt());
    }
}
