package org.dumm.rest.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.dumm.api.DummEvents;
import org.dumm.api.GuestDefinition;
import org.dumm.core.internal.MeshFixture;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.rest.internal.RestClient.Sse;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.service.event.Event;

/**
 * The REST figures, measured on an embedded mesh and Jetty: {@code GET /guests} with 50
 * (defined) guests, p50/p99 over 200 calls; the event latency from a mesh change (a bridge made
 * on the host) to the client reading it from /dumm/events, and of the stream alone (an event
 * handed to the hub, to the client). Written to target/rest-latency.txt; the bounds asserted are
 * generous (a 2-core machine shared with others), they catch a stream that buffers or stalls.
 */
public class RestLatencyTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmwtest:", 3953);

    private MeshFixture mesh;
    private EventHub hub;
    private RestServer server;
    private RestClient rest;

    @Before
    public void setUp() throws Exception {
        hub = new EventHub();
        mesh = new MeshFixture("dmw", MARKER).routeEvents(hub);
        server = new RestServer(mesh.mesh, hub, mesh.workDir.resolve("etc/dumm-rest.token"));
        rest = server.client();
    }

    @After
    public void tearDown() throws Exception {
        try {
            server.close();
        } finally {
            mesh.close();
        }
    }

    private static double[] p50p99(List<Long> nanos) {
        List<Long> s = new ArrayList<>(nanos);
        Collections.sort(s);
        return new double[] {s.get(s.size() / 2) / 1e6, s.get((int) Math.ceil(s.size() * 0.99) - 1) / 1e6};
    }

    @Test
    public void guestListAndEventLatency() throws Exception {
        for (int i = 0; i < 50; i++) {
            mesh.mesh.createGuest(GuestDefinition.named("dmwl" + i));
        }
        for (int i = 0; i < 20; i++) {
            assertEquals(200, rest.get("/guests").status());   // warm-up
        }
        List<Long> list = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long t = System.nanoTime();
            RestClient.Answer a = rest.get("/guests");
            list.add(System.nanoTime() - t);
            assertEquals(50, a.list().size());
        }

        List<Long> change = new ArrayList<>();
        List<Long> stream = new ArrayList<>();
        try (RestClient.Stream events = rest.stream(null)) {
            List<Sse> seen = new ArrayList<>();
            events.await("hello", seen, 5000);
            for (int i = 0; i < 20; i++) {
                long t = System.nanoTime();
                mesh.mesh.createBridge("dmwlb" + i);
                events.await("bridge/CREATED", seen, 2000);
                change.add(System.nanoTime() - t);
                mesh.mesh.deleteBridge("dmwlb" + i);
                events.await("bridge/DELETED", seen, 2000);
            }
            for (int i = 0; i < 100; i++) {
                long t = System.nanoTime();
                hub.handleEvent(new Event(DummEvents.TEMPLATE_UNLOADED, Map.of(DummEvents.NAME, "dmwx")));
                events.await("template/UNLOADED", seen, 2000);
                stream.add(System.nanoTime() - t);
            }
        }
        double[] l = p50p99(list);
        double[] c = p50p99(change);
        double[] s = p50p99(stream);
        String report = String.format("GET /dumm/api/guests, 50 guests: p50 %.2f ms, p99 %.2f ms (200 calls)%n"
                + "mesh change (bridge create on the host) to SSE client: p50 %.2f ms, p99 %.2f ms (20)%n"
                + "event stream alone (hub to SSE client): p50 %.2f ms, p99 %.2f ms (100)%n",
                l[0], l[1], c[0], c[1], s[0], s[1]);
        System.out.print(report);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "rest-latency.txt"), report);
        assertTrue(report, l[1] < 1000);
        assertTrue(report, c[1] < 1000);
        assertTrue(report, s[0] < 50);
    }
}
