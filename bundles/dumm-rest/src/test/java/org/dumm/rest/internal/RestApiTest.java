package org.dumm.rest.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.dumm.core.internal.MeshFixture;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.rest.internal.RestClient.Answer;
import org.dumm.rest.internal.RestClient.Sse;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The REST API and the event stream end to end: an embedded mesh on the real drivers and UML
 * backend, served by Jetty; what a request does is checked on the host (/sys/class/net).
 * Names start with {@code dmw}; the device marker is the test's own.
 */
public class RestApiTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmwtest:", 3951);

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

    private static boolean hostHas(String dev) {
        return Files.exists(Path.of("/sys/class/net", dev));
    }

    private static String hostMaster(String dev) throws Exception {
        Path m = Path.of("/sys/class/net", dev, "master");
        return Files.exists(m) ? Files.readSymbolicLink(m).getFileName().toString() : null;
    }

    @Test
    public void noOrWrongTokenIs401AndDoesNothing() throws Exception {
        for (RestClient c : List.of(rest.withToken(null), rest.withToken("0".repeat(64)),
                rest.withToken(rest.token + "x"))) {
            Answer a = c.post("/bridges", Map.of("name", "dmwbr9"));
            assertEquals(401, a.status());
            assertEquals("UNAUTHORIZED", a.get("reason"));
            assertEquals(401, c.get("/guests").status());
            assertEquals(401, c.get("/openapi.json").status());
            assertEquals(401, c.get("/nowhere").status());
            try (RestClient.Stream s = c.stream(null)) {
                assertEquals(401, s.status);
            }
        }
        assertFalse("a refused request must not create the bridge", hostHas("dmwbr9"));
        assertTrue(mesh.mesh.bridges().isEmpty());
        // the token file: mode 0600, and the same token after a restart of the servlets
        Path file = server.token.file();
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(server.token.value(), new AccessToken(file).value());
        assertEquals(64, server.token.value().length());
        Answer ok = rest.get("/bridges");
        assertEquals(200, ok.status());
        assertEquals(List.of(), ok.json());
    }

    @Test
    public void errorsCarryTheReasonAndAFittingStatus() throws Exception {
        assertError(rest.get("/guests/dmwnone"), 404, "NOT_FOUND");
        assertError(rest.get("/bridges/dmwnone"), 404, "NOT_FOUND");
        assertError(rest.post("/guests/dmwnone/start", null), 404, "NOT_FOUND");
        assertError(rest.post("/bridges", Map.of("name", "Bad Name!")), 400, "INVALID_ARGUMENT");
        assertError(rest.post("/bridges", Map.of()), 400, "INVALID_ARGUMENT");
        assertError(rest.post("/bridges", "{not json"), 400, "INVALID_ARGUMENT");
        assertError(rest.post("/guests", Map.of("name", "dmwx", "memoryMb", "lots")), 400, "INVALID_ARGUMENT");
        assertError(rest.get("/nowhere"), 404, "NOT_FOUND");
        assertError(rest.call("PUT", "/guests", null), 405, "METHOD_NOT_ALLOWED");
        assertEquals(201, rest.post("/bridges", Map.of("name", "dmwbr1")).status());
        assertError(rest.post("/bridges", Map.of("name", "dmwbr1")), 409, "ALREADY_EXISTS");
        assertEquals(201, rest.post("/guests", Map.of("name", "dmwe")).status());
        assertError(rest.post("/guests/dmwe/exec", Map.of("command", "true")), 409, "INVALID_STATE");
        assertError(rest.post("/guests/dmwe/interfaces/eth9/connect", Map.of("bridge", "dmwbr1")), 404, "NOT_FOUND");
        assertError(rest.post("/templates/dmwnone/unload", null), 404, "NOT_FOUND");
        assertEquals(204, rest.delete("/bridges/dmwbr1").status());
        assertFalse(hostHas("dmwbr1"));
        assertEquals(204, rest.delete("/guests/dmwe").status());
    }

    private static void assertError(Answer a, int status, String reason) {
        assertEquals(a.text(), status, a.status());
        assertEquals(a.text(), reason, a.get("reason"));
        assertEquals(status, ((Number) a.get("status")));
        assertNotNull(a.get("message"));
    }

    @Test
    public void everyOperationReachesTheHostAndTheEventStream() throws Exception {
        try (RestClient.Stream events = rest.stream(null)) {
            List<Sse> seen = new ArrayList<>();
            Sse hello = events.await("hello", seen, 5000);
            long start = ((Number) hello.data().get("seq")).longValue();

            // bridge
            Answer br = rest.post("/bridges", Map.of("name", "dmwbr0"));
            assertEquals(br.text(), 201, br.status());
            assertEquals("dmwbr0", br.get("name"));
            assertTrue("the bridge is on the host", hostHas("dmwbr0/bridge"));
            events.await("bridge/CREATED", seen, 2000);

            // guest, defined with an interface and an address while stopped
            Answer g = rest.post("/guests", Map.of("name", "dmwa", "memoryMb", 64));
            assertEquals(g.text(), 201, g.status());
            assertEquals("STOPPED", g.get("state"));
            assertEquals(64, g.get("memoryMb"));
            Answer i = rest.post("/guests/dmwa/interfaces", Map.of("name", "eth0", "bridge", "dmwbr0"));
            assertEquals(i.text(), 201, i.status());
            assertEquals("dmwa-eth0", i.get("tap"));
            Answer ad = rest.post("/guests/dmwa/interfaces/eth0/addresses", Map.of("cidr", "10.252.0.1/24"));
            assertEquals(ad.text(), 200, ad.status());
            assertEquals(List.of("10.252.0.1/24"), ad.get("addresses"));

            // start: the TAP appears on the host, on the bridge
            Answer up = rest.post("/guests/dmwa/start", null);
            assertEquals(up.text(), 200, up.status());
            assertEquals("RUNNING", up.get("state"));
            assertTrue(((Number) up.get("pid")).longValue() > 0);
            assertTrue(hostHas("dmwa-eth0"));
            assertEquals("dmwbr0", hostMaster("dmwa-eth0"));
            Sse running = events.await("guest/STATE", seen, 2000);
            while (!"RUNNING".equals(running.data().get("state"))) {
                running = events.await("guest/STATE", seen, 2000);
            }
            assertEquals("dmwa", running.data().get("name"));

            // exec: status, stdout and stderr apart; the address is in the guest
            Answer x = rest.post("/guests/dmwa/exec", Map.of("command", "echo out; echo err >&2; exit 3"));
            assertEquals(x.text(), 200, x.status());
            assertEquals(3, x.get("exitStatus"));
            assertEquals("out\n", x.get("stdout"));
            assertEquals("err\n", x.get("stderr"));
            Answer ip = rest.post("/guests/dmwa/exec", Map.of("command", "ip addr show eth0", "timeoutSeconds", 20));
            assertTrue(ip.text(), ((String) ip.get("stdout")).contains("10.252.0.1/24"));

            // the console: a shell on it answers what is typed
            try (RestClient.Stream console = rest.console("dmwa")) {
                assertEquals(200, console.status);
                List<Sse> out = new ArrayList<>();
                String session = (String) console.await("open", out, 5000).data().get("session");
                assertEquals(404, rest.postRaw("/dumm/console/dmwa/nosuchsession", "x"));
                assertEquals(401, rest.withToken(null).postRaw("/dumm/console/dmwa/" + session, "x"));
                assertEquals(204, rest.postRaw("/dumm/console/dmwa/" + session, "\necho dmw-$((6*7))\n"));
                StringBuilder text = new StringBuilder();
                long end = System.currentTimeMillis() + 10_000;
                while (!text.toString().contains("dmw-42") && System.currentTimeMillis() < end) {
                    Sse e = console.events.poll(500, java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (e != null && e.event().equals("out")) {
                        text.append(new String(java.util.Base64.getDecoder().decode((String) e.data().get("value")),
                                java.nio.charset.StandardCharsets.UTF_8));
                    }
                }
                assertTrue("console output: " + text, text.toString().contains("dmw-42"));
            }
            try (RestClient.Stream none = rest.console("dmwnone")) {
                assertEquals(404, none.status);
            }

            // disconnect / connect show on the host
            Answer dis = rest.post("/guests/dmwa/interfaces/eth0/disconnect", null);
            assertEquals(dis.text(), 200, dis.status());
            assertEquals(null, dis.get("bridge"));
            assertEquals(null, hostMaster("dmwa-eth0"));
            events.await("iface/DISCONNECTED", seen, 2000);
            Answer con = rest.post("/guests/dmwa/interfaces/eth0/connect", Map.of("bridge", "dmwbr0"));
            assertEquals(con.text(), 200, con.status());
            assertEquals("dmwbr0", hostMaster("dmwa-eth0"));
            Sse connected = events.await("iface/CONNECTED", seen, 2000);
            assertEquals("eth0", connected.data().get("iface"));
            assertEquals("dmwbr0", connected.data().get("bridge"));

            // a hot-plugged second interface, then removed
            assertEquals(201, rest.post("/guests/dmwa/interfaces", Map.of("name", "eth1")).status());
            assertTrue(hostHas("dmwa-eth1"));
            assertEquals(2, rest.get("/guests/dmwa/interfaces").list().size());
            assertEquals(204, rest.delete("/guests/dmwa/interfaces/eth1").status());
            assertFalse(hostHas("dmwa-eth1"));
            Answer del = rest.call("DELETE", "/guests/dmwa/interfaces/eth0/addresses?cidr=10.252.0.1/24", null);
            assertEquals(del.text(), 200, del.status());
            assertEquals(List.of(), del.get("addresses"));

            // lists and the rest
            List<Map<String, Object>> guests = rest.get("/guests").list();
            assertEquals(1, guests.size());
            assertEquals("dmwa", guests.get(0).get("name"));
            assertEquals(List.of("dmwa-eth0"), rest.get("/bridges/dmwbr0").get("ports"));
            assertFalse(rest.get("/masters").list().isEmpty());
            assertEquals(1, ((Map<?, ?>) rest.get("/status").get("guestsByState")).size());
            assertEquals(201, rest.post("/templates", Map.of("name", "dmwt")).status());
            assertEquals(true, rest.post("/templates/dmwt/load", null).get("loaded"));
            rest.post("/guests/dmwa/exec", Map.of("command", "echo t > /dmw-file"));
            List<Map<String, Object>> diff = rest.get("/templates/dmwt/diff").list();
            assertTrue(diff.toString(), diff.stream().anyMatch(d -> ((List<?>) d.get("added")).contains("/dmw-file")));
            assertEquals(204, rest.post("/templates/dmwt/unload", null).status());
            assertEquals(204, rest.delete("/templates/dmwt").status());

            // a running guest is not deleted without force; stop takes the TAP away
            assertError(rest.delete("/guests/dmwa"), 409, "INVALID_STATE");
            Answer down = rest.post("/guests/dmwa/stop", Map.of("timeoutSeconds", 10));
            assertEquals(down.text(), 200, down.status());
            assertEquals("STOPPED", down.get("state"));
            assertFalse(hostHas("dmwa-eth0"));
            assertEquals(204, rest.delete("/guests/dmwa").status());
            assertEquals(404, rest.get("/guests/dmwa").status());
            assertEquals(204, rest.delete("/bridges/dmwbr0").status());
            assertFalse(hostHas("dmwbr0"));
            events.await("bridge/DELETED", seen, 2000);

            // numbering: consecutive; a client back from the middle gets the rest, a stale one reloads
            List<Long> ids = seen.stream().filter(e -> !e.event().equals("hello")).map(Sse::id).toList();
            for (int k = 0; k < ids.size(); k++) {
                assertEquals("consecutive ids " + ids, start + 1 + k, (long) ids.get(k));
            }
            long middle = ids.get(ids.size() / 2);
            try (RestClient.Stream again = rest.stream(String.valueOf(middle))) {
                List<Sse> caught = new ArrayList<>();
                again.await("bridge/DELETED", caught, 3000);
                assertEquals(middle + 1, caught.get(0).id());
            }
            try (RestClient.Stream stale = rest.stream("999999")) {
                List<Sse> r = new ArrayList<>();
                Sse reload = stale.await("reload", r, 3000);
                assertEquals(hub.last(), ((Number) reload.data().get("seq")).longValue());
            }
        }
    }
}
