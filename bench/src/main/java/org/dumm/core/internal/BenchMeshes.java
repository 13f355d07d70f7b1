package org.dumm.core.internal;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;

import org.dumm.api.spi.BridgeDriver;
import org.dumm.api.spi.GuestBackend;
import org.dumm.api.spi.TapDriver;
import org.dumm.api.spi.TemplateStore;
import org.dumm.api.spi.UnionFs;

/**
 * Wires a {@link MeshManager} by hand, outside OSGi, the way Declarative Services would (the
 * bench lives on a flat class path, so it may use the core's package-private wiring points).
 */
public final class BenchMeshes {

    private BenchMeshes() {
    }

    /** An activated mesh in {@code workDir} with the product's default settings. */
    public static MeshManager create(Path workDir, TapDriver taps, BridgeDriver bridges, UnionFs unionFs,
                                     TemplateStore templates, GuestBackend backend, int startConcurrency) {
        MeshManager m = new MeshManager();
        m.taps = taps;
        m.bridgeDriver = bridges;
        m.unionFs = unionFs;
        m.templates = templates;
        m.addBackend(backend);
        m.activate(config(workDir, startConcurrency));
        return m;
    }

    /** Releases the mesh's channels; guests keep running (as on a Karaf stop). */
    public static void deactivate(MeshManager mesh) {
        mesh.deactivate();
    }

    private static MeshManager.Config config(Path workDir, int startConcurrency) {
        // The defaults of etc/org.dumm.cfg, except the working directory (and, to explore, the
        // bulk-start concurrency; 0 is the product's default).
        Map<String, Object> values = Map.of("workDir", workDir.toString(), "defaultKernel", "/usr/bin/linux.uml",
                "defaultMaster", "busybox", "defaultMemoryMb", 64, "bootTimeoutSeconds", 60, "startConcurrency", startConcurrency,
                "defaultBackend", "uml");
        return (MeshManager.Config) Proxy.newProxyInstance(MeshManager.Config.class.getClassLoader(),
                new Class<?>[] {MeshManager.Config.class}, (proxy, method, args) -> {
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    if (method.getName().equals("annotationType")) {
                        return MeshManager.Config.class;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
