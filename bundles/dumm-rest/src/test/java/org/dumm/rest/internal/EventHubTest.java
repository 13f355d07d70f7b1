package org.dumm.rest.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.dumm.api.DummEvents;
import org.junit.Test;
import org.osgi.service.event.Event;

/** The ring of numbered events: catch-up, waiting, and reload when too old or from the future. */
public class EventHubTest {

    private static Event event(String name) {
        return new Event(DummEvents.GUEST_CREATED, Map.of(DummEvents.NAME, name));
    }

    @Test
    public void numbersCatchUpAndReload() throws Exception {
        EventHub hub = new EventHub(3);
        assertEquals(0, hub.last());
        assertEquals(List.of(), hub.after(0, 10));
        for (String n : List.of("dmw1", "dmw2", "dmw3", "dmw4")) {
            hub.handleEvent(event(n));
        }
        assertEquals(4, hub.last());
        List<EventHub.Numbered> tail = hub.after(2, 0);
        assertEquals(List.of(3L, 4L), tail.stream().map(EventHub.Numbered::seq).toList());
        assertEquals("dmw3", tail.get(0).data().get("name"));
        assertEquals(DummEvents.GUEST_CREATED, tail.get(0).data().get("topic"));
        assertEquals(1, hub.after(1, 0).size() - 2);   // 2,3,4: event 2 is still in the ring
        assertNull("event 1 is gone: reload", hub.after(0, 0));
        assertNull("from the future (numbers restarted): reload", hub.after(9, 0));
    }

    @Test
    public void onlyDummsPropertiesGoOut() throws Exception {
        EventHub hub = new EventHub();
        hub.handleEvent(new Event(DummEvents.IFACE_CONNECTED, Map.of(DummEvents.NAME, "dmwa", DummEvents.IFACE, "eth0",
                DummEvents.BRIDGE, "dmwbr0", "subject", "Subject: Principal: UserPrincipal[dumm]",
                "timestamp", 17L, "bundle.id", 3L)));
        Map<String, Object> data = hub.after(0, 0).get(0).data();
        assertEquals(Set.of("topic", "name", "iface", "bridge", "time", "seq"), data.keySet());
        assertEquals("eth0", data.get("iface"));
    }

    @Test
    public void aWaitingReaderIsWokenByTheNextEvent() throws Exception {
        EventHub hub = new EventHub();
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            hub.handleEvent(event("dmw1"));
        });
        long t0 = System.nanoTime();
        t.start();
        List<EventHub.Numbered> got = hub.after(0, 5000);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(1, got.size());
        assertEquals(true, ms < 2000);
        t.join();
    }
}
