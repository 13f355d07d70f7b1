package org.dumm.core.internal;

import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventHandler;

/** For the bench's REST item: the embedded mesh's events to a handler, as EventAdmin does in Karaf. */
public final class BenchEvents {

    private BenchEvents() {
    }

    /** Sends the mesh's events to {@code handler} from now on (null: to nobody, as before). */
    public static void attach(MeshManager mesh, EventHandler handler) {
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
}
