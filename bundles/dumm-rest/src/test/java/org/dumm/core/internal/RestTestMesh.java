package org.dumm.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.dumm.api.Guest;
import org.dumm.bridge.internal.LinuxBridgeDriver;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.tap.internal.TunTapDriver;
import org.dumm.templates.internal.FileTemplateStore;
import org.dumm.unionfs.internal.OverlayUnionFs;
import org.dumm.uml.internal.UmlBackend;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventHandler;

/**
 * For dumm-rest's tests: a mesh outside OSGi on the real drivers and UML backend, in a working
 * directory and with a device marker of the test's own, whose events go straight to a handler
 * (what EventAdmin does in Karaf). {@link #close} deletes every guest and bridge and returns
 * what the host still has of them (TAPs, bridges), which must be nothing.
 */
public final class RestTestMesh implements AutoCloseable {

    public final MeshManager mesh;
    public final Path workDir;
    private final TunTapDriver taps;
    private final LinuxBridgeDriver bridges;
    private final OverlayUnionFs unionFs = new OverlayUnionFs();
    private final UmlBackend backend = new UmlBackend();

    public RestTestMesh(String prefix, DeviceMarker marker, EventHandler events) throws IOException {
        workDir = Files.createTempDirectory(prefix + "-mesh");
        taps = new TunTapDriver(marker);
        bridges = new LinuxBridgeDriver(marker);
        mesh = EmbeddedMesh.create(taps, bridges, unionFs, FileTemplateStore.at(workDir, unionFs), backend,
                Map.of("workDir", workDir.toString()));
        mesh.events = new EventAdmin() {
            @Override
            public void postEvent(Event event) {
                events.handleEvent(event);
            }

            @Override
            public void sendEvent(Event event) {
                events.handleEvent(event);
            }
        };
    }

    /** Deletes all; returns the TAPs and bridges that had to be removed behind the mesh's back. */
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
            List<String> leftBridges = bridges.listOwned();
            taps.deleteAll(leftTaps);
            bridges.deleteAll(leftBridges);
            taps.close();
            bridges.close();
            MasterStore.deleteTree(workDir);
            if (!leftTaps.isEmpty() || !leftBridges.isEmpty()) {
                throw new AssertionError("left on the host: TAPs " + leftTaps + ", bridges " + leftBridges);
            }
        }
    }
}
