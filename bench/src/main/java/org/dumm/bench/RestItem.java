package org.dumm.bench;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.dumm.api.DummEvents;
import org.dumm.api.GuestDefinition;
import org.dumm.bench.BenchReport.Row;
import org.dumm.core.internal.EmbeddedMesh;
import org.dumm.core.internal.MeshManager;
import org.dumm.rest.internal.EventHub;
import org.dumm.rest.internal.RestServer;
import org.osgi.service.event.Event;

/**
 * Item 12: dumm-rest's servlets on Jetty (127.0.0.1, with the token), over the bench's mesh.
 * {@code GET /dumm/api/guests} with 50 defined guests against, in the same run, a GET of the same
 * bytes from a servlet that only copies them (HTTP and Jetty alone) and {@code Mesh.guests()}
 * called in-process; the latency of a mesh change (a bridge made on the host) to an SSE client of
 * /dumm/events against an event handed to the hub directly (the stream alone). Measurements only.
 */
final class RestItem implements BenchItem {

    private static final int GUESTS = 50;

    @Override
    public String id() {
        return "13";
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        BenchOptions opt = ctx.opt();
        MeshManager mesh = ctx.mesh();
        int calls = opt.quick ? 200 : 1000;
        int changes = opt.quick ? 20 : 100;
        Map<String, Object> m = ctx.report().section("13_rest");
        for (int i = 0; i < GUESTS; i++) {
            mesh.createGuest(GuestDefinition.named("dmbr" + i));
        }
        EventHub hub = RestServer.newHub();
        EmbeddedMesh.routeEvents(mesh, hub);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        byte[][] same = new byte[1][];
        HttpServlet fixed = new HttpServlet() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                resp.setContentType("application/json;charset=utf-8");
                resp.setContentLength(same[0].length);
                resp.getOutputStream().write(same[0]);
            }
        };
        try (RestServer server = new RestServer(mesh, hub, ctx.tmp().resolve("dumm-rest.token"),
                Map.of("/dmb-fixed", fixed))) {
            String base = "http://127.0.0.1:" + server.port;
            HttpRequest guests = HttpRequest.newBuilder(URI.create(base + "/dumm/api/guests"))
                    .header("Authorization", "Bearer " + server.token()).build();
            HttpRequest fixedGet = HttpRequest.newBuilder(URI.create(base + "/dmb-fixed")).build();
            HttpResponse<byte[]> first = http.send(guests, HttpResponse.BodyHandlers.ofByteArray());
            BenchContext.check(first.statusCode() == 200, "GET /guests: " + first.statusCode());
            same[0] = first.body();
            Stats rest = new Stats();
            Stats statik = new Stats();
            Stats inProcess = new Stats();
            for (int i = 0; i < 100; i++) {   // warm-up of both
                http.send(guests, HttpResponse.BodyHandlers.ofByteArray());
                http.send(fixedGet, HttpResponse.BodyHandlers.ofByteArray());
                mesh.guests();
            }
            for (int i = 0; i < calls; i++) {   // interleaved: load from others hits both alike
                long t = System.nanoTime();
                HttpResponse<byte[]> r = http.send(guests, HttpResponse.BodyHandlers.ofByteArray());
                rest.addNanos(System.nanoTime() - t);
                BenchContext.check(r.statusCode() == 200, "GET /guests: " + r.statusCode());
                t = System.nanoTime();
                http.send(fixedGet, HttpResponse.BodyHandlers.ofByteArray());
                statik.addNanos(System.nanoTime() - t);
                t = System.nanoTime();
                BenchContext.check(mesh.guests().size() == GUESTS, "guests");
                inProcess.addNanos(System.nanoTime() - t);
            }

            Stats change = new Stats();
            Stats stream = new Stats();
            Stats create = new Stats();
            HttpRequest events = HttpRequest.newBuilder(URI.create(base + "/dumm/events"))
                    .header("Authorization", "Bearer " + server.token()).build();
            HttpResponse<InputStream> sse = http.send(events, HttpResponse.BodyHandlers.ofInputStream());
            BlockingQueue<String> names = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> read(sse.body(), names), "dmb-sse");
            reader.setDaemon(true);
            reader.start();
            try {
                await(names, "hello");
                for (int i = 0; i < changes; i++) {
                    long t = System.nanoTime();
                    mesh.createBridge("dmbrb" + i);
                    create.addNanos(System.nanoTime() - t);
                    await(names, "bridge/CREATED");
                    change.addNanos(System.nanoTime() - t);
                    mesh.deleteBridge("dmbrb" + i);
                    await(names, "bridge/DELETED");
                    t = System.nanoTime();
                    hub.handleEvent(new Event(DummEvents.TEMPLATE_UNLOADED, Map.of(DummEvents.NAME, "dmbx")));
                    await(names, "template/UNLOADED");
                    stream.addNanos(System.nanoTime() - t);
                }
            } finally {
                sse.body().close();
                reader.interrupt();
            }
            row(ctx, "GET /dumm/api/guests, " + GUESTS + " guests, p50 / p99 (" + calls + "; beside: the same "
                    + same[0].length + " bytes from a plain servlet)", rest, statik);
            ctx.report().add(new Row("13", "Mesh.guests() in-process, " + GUESTS + " guests, p50 / p99 (" + calls + ")",
                    String.format("%.3f / %.3f ms", inProcess.median(), inProcess.percentile(99)), "", "", "", ""));
            row(ctx, "mesh change (bridge made on the host) → SSE client, p50 / p99 (" + changes
                    + "; beside: an event handed to the hub → client)", change, stream);
            ctx.report().add(new Row("13", "of which the bridge create itself (in-process), p50 / p99",
                    String.format("%.2f / %.2f ms", create.median(), create.percentile(99)), "", "", "", ""));
            m.put("guests", GUESTS);
            m.put("response_bytes", same[0].length);
            m.put("get_guests", rest.toMap());
            m.put("get_same_bytes_plain_servlet", statik.toMap());
            m.put("mesh_guests_in_process", inProcess.toMap());
            m.put("mesh_change_to_sse", change.toMap());
            m.put("bridge_create_in_process", create.toMap());
            m.put("hub_to_sse", stream.toMap());
        } finally {
            EmbeddedMesh.routeEvents(mesh, null);
            for (int i = 0; i < GUESTS; i++) {
                mesh.deleteGuest("dmbr" + i, true);
            }
        }
    }

    private static void row(BenchContext ctx, String what, Stats dumm, Stats beside) {
        ctx.report().add(new Row("13", what,
                String.format("%.2f / %.2f ms", dumm.median(), dumm.percentile(99)),
                String.format("%.2f / %.2f ms", beside.median(), beside.percentile(99)),
                String.format("%.2f× (p50)", dumm.median() / beside.median()), "", ""));
    }

    private static void read(InputStream in, BlockingQueue<String> names) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("event: ")) {
                    names.add(line.substring(7));
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    private static void await(BlockingQueue<String> names, String want) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < end) {
            String n = names.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (want.equals(n)) {
                return;
            }
        }
        throw new AssertionError("no SSE event " + want + " within 5 s");
    }
}
