package org.dumm.rest.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * Every mesh change EventAdmin delivers on {@code org/dumm/*}, numbered 1, 2, 3 … in arrival
 * order and kept in a ring of the last {@link #CAPACITY}, so a client that reconnects with the
 * last number it saw gets what it missed, or learns that it must reload (too old, or from
 * before a restart of this bundle: numbers restart at 1).
 */
@Component(service = {EventHub.class, EventHandler.class},
        property = EventConstants.EVENT_TOPIC + "=org/dumm/*")
public final class EventHub implements EventHandler {

    static final int CAPACITY = 1024;

    /** One numbered event: its topic and its properties as JSON-ready values. */
    record Numbered(long seq, String topic, Map<String, Object> data) {
    }

    private final ArrayDeque<Numbered> ring = new ArrayDeque<>(CAPACITY);
    private final int capacity;
    private long last;

    public EventHub() {
        this(CAPACITY);
    }

    EventHub(int capacity) {
        this.capacity = capacity;
    }

    @Override
    public void handleEvent(Event event) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("topic", event.getTopic());
        for (String k : event.getPropertyNames()) {
            if (!published(k)) {
                continue;
            }
            Object v = event.getProperty(k);
            data.put(k, v instanceof String || v instanceof Number || v instanceof Boolean || v == null
                    ? v : String.valueOf(v));
        }
        data.put("time", System.currentTimeMillis());
        synchronized (this) {
            last++;
            data.put("seq", last);
            if (ring.size() == capacity) {
                ring.removeFirst();
            }
            ring.addLast(new Numbered(last, event.getTopic(), data));
            notifyAll();
        }
    }

    /**
     * Whether a property goes to clients: Dumm's own, not what EventAdmin adds (Felix's adds
     * {@code subject}, the poster's JAAS subject with its principals, and {@code timestamp}) nor
     * the topic, bundle and service properties of the spec.
     */
    static boolean published(String key) {
        return !(key.equals("subject") || key.equals("timestamp") || key.startsWith("event.")
                || key.startsWith("bundle") || key.startsWith("service.") || key.equals("exception")
                || key.startsWith("exception."));
    }

    /** Wakes every waiting stream (so it sees that it is closed). */
    synchronized void wakeAll() {
        notifyAll();
    }

    /** The number of the newest event, 0 before the first. */
    synchronized long last() {
        return last;
    }

    /**
     * The events after {@code seq}, waiting up to {@code timeoutMillis} for one when there are
     * none yet; an empty list on time-out. Null when events after {@code seq} have been dropped
     * from the ring, or {@code seq} is from the future (numbers restarted): reload.
     */
    synchronized List<Numbered> after(long seq, long timeoutMillis) throws InterruptedException {
        if (seq > last || (seq < last && !ring.isEmpty() && ring.peekFirst().seq() > seq + 1)
                || (seq < last && ring.isEmpty())) {
            return null;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        long before = last;
        while (last == seq) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return List.of();
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
            if (last == before) {
                return List.of();   // woken without news (wakeAll)
            }
        }
        if (ring.peekFirst().seq() > seq + 1) {
            return null;    // overrun while we waited
        }
        List<Numbered> out = new ArrayList<>();
        for (Numbered n : ring) {
            if (n.seq() > seq) {
                out.add(n);
            }
        }
        return out;
    }
}
