package org.dumm.core.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.dumm.api.DummEvents;
import org.dumm.api.GuestState;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * Posts the mesh's changes on EventAdmin ({@link DummEvents} topics), asynchronously, so a UI or
 * a cluster layer can follow the mesh without polling. Without an EventAdmin nothing is posted.
 */
final class MeshEvents {

    private final Supplier<EventAdmin> admin;

    /** @param admin the EventAdmin present now, or null (a dynamic, optional reference) */
    MeshEvents(Supplier<EventAdmin> admin) {
        this.admin = admin;
    }

    /** Sets a guest's state and posts {@link DummEvents#GUEST_STATE} when it changed. */
    void setState(GuestEntry e, GuestState state) {
        if (e.state != state) {
            e.state = state;
            post(DummEvents.GUEST_STATE, e.name, Map.of(DummEvents.STATE, state.name()));
        }
    }

    void post(String topic, String name, Map<String, String> extra) {
        EventAdmin ea = admin.get();
        if (ea == null) {
            return;
        }
        Map<String, Object> props = new HashMap<>(extra);
        props.put(DummEvents.NAME, name);
        ea.postEvent(new Event(topic, props));
    }
}
