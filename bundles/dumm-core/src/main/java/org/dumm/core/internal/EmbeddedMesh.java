package org.dumm.core.internal;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;

import org.dumm.api.spi.BridgeDriver;
import org.dumm.api.spi.GuestBackend;
import org.dumm.api.spi.TapDriver;
import org.dumm.api.spi.TemplateStore;
import org.dumm.api.spi.UnionFs;
import org.dumm.api.spi.VethDriver;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventHandler;

/**
 * A {@link MeshManager} wired by hand, outside OSGi, the way Declarative Services wires it: for
 * tests and tools on a flat class path (the benchmark). Settings not given keep the defaults of
 * {@link MeshManager.Config}, i.e. those of etc/org.dumm.cfg.
 */
public final class EmbeddedMesh {

    private EmbeddedMesh() {
    }

    /**
     * An activated mesh.
     *
     * @param settings {@link MeshManager.Config} values by attribute name, e.g. {@code workDir}
     */
    public static MeshManager create(TapDriver taps, BridgeDriver bridges, UnionFs unionFs, TemplateStore templates,
                                     GuestBackend backend, Map<String, Object> settings) {
        return create(taps, null, bridges, unionFs, templates, List.of(backend), settings);
    }

    /** As above, with a veth driver (null for none) and any number of backends. */
    public static MeshManager create(TapDriver taps, VethDriver veths, BridgeDriver bridges, UnionFs unionFs,
                                     TemplateStore templates, List<GuestBackend> backends, Map<String, Object> settings) {
        MeshManager m = new MeshManager();
        m.veths = veths;
        m.taps = taps;
        m.bridgeDriver = bridges;
        m.unionFs = unionFs;
        m.templates = templates;
        backends.forEach(m::addBackend);
        m.activate(config(settings));
        return m;
    }

    /**
     * Sends the mesh's events to {@code handler} from now on, as EventAdmin does in Karaf (the
     * REST API's live events); null: to nobody, as before.
     */
    public static void routeEvents(MeshManager mesh, EventHandler handler) {
        mesh.events = handler == null ? null : new EventAdmin() {
            @Override
            public void postEvent(Event event) {
                handler.handleEvent(event);
            }

            @Override
            public void sendEvent(Event event) {
                handler.handleEvent(event);
            }
        };
    }

    /** Releases the mesh's channels; guests keep running (as on a Karaf stop). */
    public static void deactivate(MeshManager mesh) {
        mesh.deactivate();
    }

    private static MeshManager.Config config(Map<String, Object> settings) {
        return (MeshManager.Config) Proxy.newProxyInstance(MeshManager.Config.class.getClassLoader(),
                new Class<?>[] {MeshManager.Config.class}, (proxy, method, args) -> {
                    if (settings.containsKey(method.getName())) {
                        return settings.get(method.getName());
                    }
                    if (method.getDefaultValue() != null) {
                        return method.getDefaultValue();
                    }
                    if (method.getName().equals("annotationType")) {
                        return MeshManager.Config.class;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
