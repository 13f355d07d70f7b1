package org.dumm.lab.internal;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.dumm.api.ExecResult;
import org.dumm.api.Guest;
import org.dumm.core.internal.MeshFixture;
import org.dumm.core.internal.MeshManager;
import org.dumm.nativ.net.DeviceMarker;

/**
 * The lab tests' embedded mesh: dumm-core's {@link MeshFixture} (real drivers and UML backend,
 * a working directory of its own, device marker {@code dml}/3921, nothing left after
 * {@link #close}) with a lab service on it.
 */
final class LabMesh implements AutoCloseable {

    static final DeviceMarker MARKER = new DeviceMarker("dml", 3921);
    static final Duration EXEC = Duration.ofSeconds(20);

    private final MeshFixture fixture;
    final Path workDir;
    MeshManager mesh;
    LabServiceImpl labs;

    LabMesh() throws IOException {
        fixture = new MeshFixture("dml", MARKER);
        workDir = fixture.workDir;
        mesh = fixture.mesh;
        labs = new LabServiceImpl(mesh, Map.of());
    }

    /** A new mesh and lab service on the same working directory (as after a Karaf restart). */
    void restart() {
        mesh = fixture.restart();
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
        fixture.close();
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
