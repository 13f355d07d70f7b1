package org.dumm.rest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.dumm.api.ConsoleSession;
import org.dumm.api.DummException;
import org.dumm.api.Mesh;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * A guest's console over HTTP, for the web UI's terminals. {@code GET /dumm/console/GUEST}
 * opens the console ({@link Mesh#console}) and streams it as Server-Sent Events: first
 * {@code open} with a session id, then {@code out} events whose data is the console's bytes in
 * base64, and {@code closed} when the console ends. {@code POST /dumm/console/GUEST/SESSION}
 * types its body into that console; {@code PUT …/SESSION} with {@code {"rows": R, "cols": C}} sets
 * its window size (the guest's {@code stty size} and SIGWINCH follow, {@link ConsoleSession#resize});
 * {@code DELETE} (or the end of the stream) detaches it. The
 * guest keeps running. Token as for the REST API.
 */
@Component(service = Servlet.class, property = {
        "osgi.http.whiteboard.servlet.pattern=" + ConsoleServlet.PATTERN,
        "osgi.http.whiteboard.servlet.name=dumm-rest-console"})
public final class ConsoleServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final String PREFIX = "/dumm/console";
    static final String PATTERN = PREFIX + "/*";
    private static final long KEEPALIVE_MILLIS = 15_000;
    private static final byte[] END = new byte[0];

    private final transient Mesh mesh;
    private final transient AccessToken token;
    private final transient Map<String, ConsoleSession> sessions = new ConcurrentHashMap<>();
    private final transient SecureRandom random = new SecureRandom();
    private volatile boolean closed;

    @Activate
    public ConsoleServlet(@Reference Mesh mesh, @Reference AccessToken token) {
        this.mesh = mesh;
        this.token = token;
    }

    @Deactivate
    void close() {
        closed = true;
        for (String id : List.copyOf(sessions.keySet())) {
            detach(id);
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        HttpCall call = new HttpCall(req, resp);
        if (!token.admits(req.getHeader("Authorization"))) {
            resp.setHeader("WWW-Authenticate", "Bearer realm=\"dumm\"");
            call.error(401, "UNAUTHORIZED", "a valid token is required in 'Authorization: Bearer TOKEN'");
            return;
        }
        try {
            if (call.is("GET", "*")) {
                stream(call.seg(0), resp);
            } else if (call.is("POST", "*/*")) {
                ConsoleSession s = session(call);
                byte[] input;
                try (InputStream in = req.getInputStream()) {
                    input = in.readNBytes(64 * 1024);
                }
                s.input().write(input);
                s.input().flush();
                call.send(204, null);
            } else if (call.is("PUT", "*/*")) {
                ConsoleSession s = session(call);
                s.resize((int) size(call, "rows"), (int) size(call, "cols"));
                call.send(204, null);
            } else if (call.is("DELETE", "*/*")) {
                session(call);
                detach(call.seg(1));
                call.send(204, null);
            } else {
                call.error(404, "NOT_FOUND", "use GET " + PREFIX + "/GUEST, POST, PUT or DELETE " + PREFIX + "/GUEST/SESSION");
            }
        } catch (DummException e) {
            if (!resp.isCommitted()) {
                call.error(HttpCall.status(e.reason()), e.reason().name(), e.getMessage());
            }
        }
    }

    private static long size(HttpCall call, String name) throws IOException {
        long v = call.number(name, -1);
        if (v < 1 || v > 1000) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT, "'" + name + "' must be 1..1000");
        }
        return v;
    }

    private ConsoleSession session(HttpCall call) {
        ConsoleSession s = sessions.get(call.seg(1));
        if (s == null) {
            throw new DummException(DummException.Reason.NOT_FOUND, "no console session '" + call.seg(1)
                    + "' for guest '" + call.seg(0) + "'");
        }
        return s;
    }

    private void stream(String guest, HttpServletResponse resp) throws IOException {
        ConsoleSession console = mesh.console(guest);     // fails (404/409) before the stream starts
        String id = HexFormat.of().formatHex(bytes(16));
        sessions.put(id, console);
        BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(256);
        Thread pump = new Thread(() -> pump(console.output(), chunks), "dumm-rest-console-" + guest);
        pump.setDaemon(true);
        try {
            resp.setStatus(200);
            resp.setContentType("text/event-stream;charset=utf-8");
            resp.setHeader("Cache-Control", "no-store");
            OutputStream out = resp.getOutputStream();
            send(out, "open", HttpCall.JSON.writeValueAsString(Map.of("session", id, "guest", guest,
                    "device", console.device())));
            pump.start();
            while (!closed && sessions.containsKey(id)) {
                byte[] c = chunks.poll(KEEPALIVE_MILLIS, TimeUnit.MILLISECONDS);
                if (c == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } else if (c == END) {
                    send(out, "closed", "{}");
                    break;
                } else {
                    send(out, "out", "\"" + Base64.getEncoder().encodeToString(c) + "\"");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the browser went away
        } finally {
            detach(id);
        }
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static void pump(InputStream in, BlockingQueue<byte[]> chunks) {
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                byte[] c = java.util.Arrays.copyOf(buf, n);
                if (!chunks.offer(c, 5, TimeUnit.SECONDS)) {
                    break;      // nobody reads: give up
                }
            }
        } catch (IOException | InterruptedException e) {
            // closed
        }
        chunks.offer(END);
    }

    private void detach(String id) {
        ConsoleSession s = sessions.remove(id);
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // detached anyway
            }
        }
    }

    private static void send(OutputStream out, String event, String json) throws IOException {
        out.write(("event: " + event + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
