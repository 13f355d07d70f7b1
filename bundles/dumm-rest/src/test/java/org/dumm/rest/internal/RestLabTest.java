package org.dumm.rest.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.dumm.api.GuestState;
import org.dumm.core.internal.MeshFixture;
import org.dumm.lab.internal.LabServiceImpl;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.rest.internal.RestClient.Answer;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * {@code /dumm/api/labs} on dumm-lab's real LabService over an embedded mesh on the real drivers
 * and UML backend: a tiny Kathará lab (two pcs on one collision domain) planned, applied on real
 * guests, checked on the host (/sys/class/net), and destroyed, leaving nothing; without a
 * LabService, 404 LABS_UNAVAILABLE. Names start with {@code dmw}.
 */
public class RestLabTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmwtest:", 3954);

    private MeshFixture mesh;
    private RestServer server;
    private RestClient rest;
    private Path labDir;

    @Before
    public void setUp() throws Exception {
        EventHub hub = new EventHub();
        mesh = new MeshFixture("dmw", MARKER).routeEvents(hub);
        server = new RestServer(mesh.mesh, hub, mesh.workDir.resolve("etc/dumm-rest.token"));
        rest = server.client();
        labDir = Files.createDirectories(mesh.workDir.resolve("labsrc/dmwlab"));
        Files.writeString(labDir.resolve("lab.conf"), "pc1[0]=A\npc2[0]=A\n");
    }

    @After
    public void tearDown() throws Exception {
        try {
            server.close();
        } finally {
            mesh.close();   // fails when a TAP or bridge is left on the host
        }
    }

    private static boolean hostHas(String dev) {
        return Files.exists(Path.of("/sys/class/net", dev));
    }

    @Test
    public void withoutDummLabOrDummTestTheyAre404() throws Exception {
        for (Answer a : List.of(rest.get("/labs"), rest.get("/labs/dmwlab"),
                rest.post("/labs", Map.of("path", labDir.toString())))) {
            assertEquals(a.text(), 404, a.status());
            assertEquals("LABS_UNAVAILABLE", a.get("reason"));
        }
        Answer runs = rest.get("/test-runs");
        assertEquals(404, runs.status());
        assertEquals("TESTS_UNAVAILABLE", runs.get("reason"));
        assertTrue(mesh.mesh.guests().isEmpty());
        assertEquals(401, rest.withToken(null).get("/labs").status());
    }

    @Test
    @SuppressWarnings("unchecked")
    public void aKatharaLabIsPlannedAppliedAndDestroyed() throws Exception {
        server.labs(new LabServiceImpl(mesh.mesh, Map.of()));
        assertEquals(List.of(), rest.get("/labs").list());
        assertEquals(404, rest.get("/labs/dmwlab").status());
        assertEquals(400, rest.post("/labs", Map.of("path", "relative/dir")).status());
        assertEquals(400, rest.post("/labs", Map.of()).status());

        // the plan: two devices on one segment, and nothing done
        Answer plan = rest.post("/labs", Map.of("path", labDir.toString(), "dryRun", true));
        assertEquals(plan.text(), 200, plan.status());
        Map<String, Object> p = (Map<String, Object>) plan.get("plan");
        assertEquals("dmwlab", p.get("lab"));
        assertEquals(true, p.get("firstApply"));
        List<String> kinds = ((List<Map<String, Object>>) p.get("changes")).stream()
                .map(c -> (String) c.get("kind")).toList();
        assertEquals(kinds.toString(), 2, kinds.stream().filter("ADD_DEVICE"::equals).count());
        assertEquals(kinds.toString(), 1, kinds.stream().filter("ADD_SEGMENT"::equals).count());
        assertTrue("a dry run made guests", mesh.mesh.guests().isEmpty());
        assertTrue("a dry run made bridges", mesh.mesh.bridges().isEmpty());

        // applied on real guests
        Answer applied = rest.post("/labs", Map.of("path", labDir.toString()));
        assertEquals(applied.text(), 201, applied.status());
        Map<String, Object> lab = (Map<String, Object>) applied.get("lab");
        List<Map<String, Object>> devices = (List<Map<String, Object>>) lab.get("devices");
        List<Map<String, Object>> segments = (List<Map<String, Object>>) lab.get("segments");
        assertEquals(List.of("pc1", "pc2"), devices.stream().map(d -> (String) d.get("name")).sorted().toList());
        assertEquals(1, segments.size());
        String bridge = (String) segments.get(0).get("bridge");
        assertTrue("no bridge " + bridge + " on the host", Files.exists(Path.of("/sys/class/net", bridge, "bridge")));
        List<String> taps = new ArrayList<>();
        for (Map<String, Object> d : devices) {
            String guest = (String) d.get("guest");
            assertEquals(GuestState.RUNNING, mesh.mesh.guest(guest).orElseThrow().state());
            String tap = mesh.mesh.guest(guest).orElseThrow().interfaces().get(0).tap();
            assertEquals(bridge, Files.readSymbolicLink(Path.of("/sys/class/net", tap, "master")).getFileName().toString());
            taps.add(tap);
        }
        Answer list = rest.get("/labs");
        assertEquals(List.of("dmwlab"), list.list().stream().map(l -> l.get("name")).toList());
        Answer info = rest.get("/labs/dmwlab");
        assertEquals(200, info.status());
        assertEquals(labDir.toString(), Path.of((String) info.get("source")).toString().replace("/lab.conf", ""));

        // a second dry run has nothing to do
        Map<String, Object> again = (Map<String, Object>) rest.post("/labs",
                Map.of("path", labDir.toString(), "dryRun", true)).get("plan");
        assertEquals(List.of(), again.get("changes"));

        // a test run of checks on the lab's guests (guest = prefix + device): one passes, one fails
        Path checks = Files.createDirectories(mesh.workDir.resolve("checks"));
        Files.createDirectories(checks.resolve("a-pass"));
        Files.writeString(checks.resolve("a-pass/checks.yaml"), "custom_commands:\n  pc1:\n"
                + "    - command: echo dmw-$((6*7))\n      expected_output: dmw-42\n");
        Files.createDirectories(checks.resolve("b-fail"));
        Files.writeString(checks.resolve("b-fail/checks.yaml"), "custom_commands:\n  pc2:\n"
                + "    - command: hostname\n      expected_output: not-this-name\n");
        server.testRuns(new org.dumm.test.internal.ScenarioRunnerImpl(mesh.mesh));
        Answer started = rest.post("/test-runs", Map.of("paths", List.of(checks.toString()), "guestPrefix", "dmwlab-"));
        assertEquals(started.text(), 202, started.status());
        String id = (String) started.get("id");
        Answer run = null;
        for (long end = System.currentTimeMillis() + 60_000; System.currentTimeMillis() < end; Thread.sleep(200)) {
            run = rest.get("/test-runs/" + id);
            if (!"RUNNING".equals(run.get("state"))) {
                break;
            }
        }
        assertEquals(run.text(), "DONE", run.get("state"));
        assertEquals(1, ((Number) run.get("passed")).intValue());
        assertEquals(1, ((Number) run.get("failed")).intValue());
        List<Map<String, Object>> results = (List<Map<String, Object>>) run.get("results");
        assertEquals(List.of("PASSED", "FAILED"), results.stream().map(r -> r.get("verdict")).toList());
        assertEquals(List.of(id), rest.get("/test-runs").list().stream().map(r -> r.get("id")).toList());
        assertEquals(404, rest.get("/test-runs/999").status());
        assertEquals(400, rest.post("/test-runs", Map.of("paths", List.of())).status());

        // destroyed: no guest, TAP or bridge left
        assertEquals(204, rest.delete("/labs/dmwlab").status());
        assertTrue(mesh.mesh.guests().isEmpty());
        assertTrue(mesh.mesh.bridges().isEmpty());
        assertFalse(hostHas(bridge));
        taps.forEach(t -> assertFalse("TAP " + t + " is left", hostHas(t)));
        assertEquals(List.of(), rest.get("/labs").list());
        assertEquals(404, rest.delete("/labs/dmwlab").status());
    }
}
