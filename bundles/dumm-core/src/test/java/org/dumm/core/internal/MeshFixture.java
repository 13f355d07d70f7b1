package org.dumm.core.internal;

import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.dumm.api.Guest;
import org.dumm.bridge.internal.LinuxBridgeDriver;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.api.spi.GuestBackend;
import org.dumm.tap.internal.TunTapDriver;
import org.dumm.tap.internal.VethPairDriver;
import org.dumm.templates.internal.FileTemplateStore;
import org.dumm.unionfs.internal.OverlayUnionFs;
import org.dumm.uml.internal.UmlBackend;
import org.osgi.service.event.EventHandler;

/**
 * A mesh for tests, outside OSGi, on the real drivers and backend, in a working directory of its
 * own, with a device marker of the test's own so a Dumm running on the host is never touched;
 * {@link #close} deletes every guest and bridge, then checks that nothing is left. Shared with
 * the tests of the bundles built on the mesh (lab, test runner, capture, REST, web) through
 * dumm-core's test-jar.
 */
public final class MeshFixture implements AutoCloseable {

    public final Path workDir;
    public final TunTapDriver taps;
    public final VethPairDriver veths;
    public final LinuxBridgeDriver bridges;
    public final OverlayUnionFs unionFs = new OverlayUnionFs();
    public UmlBackend backend = new UmlBackend();
    /** Backends besides {@link #backend} (e.g. netns), set before {@link #newMesh}. */
    public List<GuestBackend> moreBackends = List.of();
    public MeshManager mesh;
    private EventHandler events;

    /** @param prefix the test's name prefix, for its working directory */
    public MeshFixture(String prefix, DeviceMarker marker) throws IOException {
        workDir = Files.createTempDirectory(prefix + "-mesh");
        taps = new TunTapDriver(marker);
        veths = new VethPairDriver(marker);
        bridges = new LinuxBridgeDriver(marker);
        mesh = newMesh();
    }

    /** A mesh on the same working directory and drivers (after {@link MeshManager#deactivate}: a restart). */
    public MeshManager newMesh() {
        List<GuestBackend> all = new java.util.ArrayList<>(List.of(backend));
        all.addAll(moreBackends);
        MeshManager m = EmbeddedMesh.create(taps, veths, bridges, unionFs, FileTemplateStore.at(workDir, unionFs), all,
                Map.of("workDir", workDir.toString()));
        if (events != null) {
            EmbeddedMesh.routeEvents(m, events);
        }
        return m;
    }

    /** Deactivates the mesh and makes a new one on the same directory (a Karaf restart); guests keep running. */
    public MeshManager restart() {
        mesh.deactivate();
        mesh = newMesh();
        return mesh;
    }

    /** {@link #restart} with {@code more} backends besides {@link #backend} (e.g. netns). */
    public MeshManager restartWith(GuestBackend... more) {
        moreBackends = List.of(more);
        return restart();
    }

    /**
     * The mesh's events (and those of the meshes {@link #newMesh} makes later) go straight to
     * {@code handler}, as EventAdmin delivers them in Karaf.
     */
    public MeshFixture routeEvents(EventHandler handler) {
        events = handler;
        EmbeddedMesh.routeEvents(mesh, handler);
        return this;
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
            mesh.deactivate();
        } finally {
            backend.deactivate();
            for (Path p : unionFs.mountsUnder(workDir)) {
                unionFs.unmount(p);
            }
            List<String> leftTaps = taps.listOwned();
            List<String> leftVeths = veths.listOwned();
            List<String> leftBridges = bridges.listOwned();
            if (!leftTaps.isEmpty()) {
                taps.deleteAll(leftTaps);
            }
            if (!leftVeths.isEmpty()) {
                veths.deleteAll(leftVeths);
            }
            if (!leftBridges.isEmpty()) {
                bridges.deleteAll(leftBridges);
            }
            taps.close();
            veths.close();
            bridges.close();
            MasterStore.deleteTree(workDir);
            assertTrue("TAPs left: " + leftTaps, leftTaps.isEmpty());
            assertTrue("veths left: " + leftVeths, leftVeths.isEmpty());
            assertTrue("bridges left: " + leftBridges, leftBridges.isEmpty());
        }
    }
}
