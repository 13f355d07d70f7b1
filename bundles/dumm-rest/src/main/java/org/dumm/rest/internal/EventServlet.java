package org.dumm.rest.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code GET /dumm/events}: the mesh's changes as Server-Sent Events. Each event has
 * {@code id:} its sequence number, {@code event:} its topic's last two parts ({@code guest/STATE})
 * and {@code data:} its properties as JSON. The first event is {@code hello} with the newest
 * number, so a client knows where it stands before it reads the state. A client that reconnects
 * sends {@code Last-Event-ID} (header, or query parameter {@code lastEventId}) and gets the
 * events it missed, or one {@code reload} event when they are gone. A comment every 15 s keeps
 * proxies from closing the stream. Token as for the REST API.
 */
@Component(service = Servlet.class, property = {
        "osgi.http.whiteboard.servlet.pattern=" + EventServlet.PATH,
        "osgi.http.whiteboard.servlet.name=dumm-rest-events"})
public final class EventServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final String PATH = "/dumm/events";
    private static final long KEEPALIVE_MILLIS = 15_000;

    private final transient EventHub hub;
    private final transient AccessToken token;
    private volatile boolean closed;

    @Activate
    public EventServlet(@Reference EventHub hub, @Reference AccessToken token) {
        this.hub = hub;
        this.token = token;
    }

    @Deactivate
    void close() {
        closed = true;
        hub.wakeAll();
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!token.admits(req.getHeader("Authorization"))) {
            resp.setHeader("WWW-Authenticate", "Bearer realm=\"dumm\"");
            new HttpCall(req, resp).error(401, "UNAUTHORIZED",
                    "a valid token is required in 'Authorization: Bearer TOKEN'");
            return;
        }
        String lastId = req.getHeader("Last-Event-ID");
        if (lastId == null) {
            lastId = req.getParameter("lastEventId");
        }
        long seq;
        if (lastId == null || lastId.isBlank()) {
            seq = -1;
        } else if (lastId.strip().matches("[0-9]{1,18}")) {
            seq = Long.parseLong(lastId.strip());
        } else {
            new HttpCall(req, resp).error(400, "INVALID_ARGUMENT", "Last-Event-ID must be a number");
            return;
        }
        resp.setStatus(200);
        resp.setContentType("text/event-stream;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Accel-Buffering", "no");
        OutputStream out = resp.getOutputStream();
        if (seq < 0) {
            seq = hub.last();
            send(out, seq, "hello", Map.of("seq", seq));
        }
        try {
            while (!closed) {
                List<EventHub.Numbered> events = hub.after(seq, KEEPALIVE_MILLIS);
                if (events == null) {
                    seq = hub.last();
                    send(out, seq, "reload", Map.of("seq", seq));
                    continue;
                }
                if (events.isEmpty()) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    continue;
                }
                for (EventHub.Numbered e : events) {
                    send(out, e.seq(), name(e.topic()), e.data());
                    seq = e.seq();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // an IOException: the client went away; nothing to tidy
    }

    /** {@code org/dumm/guest/STATE} → {@code guest/STATE}. */
    private static String name(String topic) {
        return topic.startsWith("org/dumm/") ? topic.substring("org/dumm/".length()) : topic;
    }

    private static void send(OutputStream out, long id, String event, Object data) throws IOException {
        String text = "id: " + id + "\nevent: " + event + "\ndata: "
                + HttpCall.JSON.writeValueAsString(data) + "\n\n";
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
