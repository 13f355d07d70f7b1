package org.dumm.rest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Mesh;
import org.dumm.api.Transport;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API under {@code /dumm/api}: guests, interfaces, addresses, bridges, templates,
 * masters, exec and the status, on the {@link Mesh} service alone. Every request needs the
 * {@link AccessToken} in {@code Authorization: Bearer}; without it the answer is 401 and
 * nothing is done. Failures are JSON {@code {status, reason, message}} with the
 * {@link DummException} reason. {@code GET /dumm/api/openapi.json} describes it all.
 */
@Component(service = Servlet.class, property = {
        "osgi.http.whiteboard.servlet.pattern=" + ApiServlet.PATTERN,
        "osgi.http.whiteboard.servlet.name=dumm-rest-api"})
public final class ApiServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final String PREFIX = "/dumm/api";
    static final String PATTERN = PREFIX + "/*";
    private static final Logger LOG = LoggerFactory.getLogger(ApiServlet.class);

    @FunctionalInterface
    interface Handler {
        void answer(Mesh mesh, HttpCall call) throws IOException;
    }

    /** One operation: method, path pattern ({@code *} = a name) and what answers it. */
    record Route(String method, String pattern, Handler handler) {
    }

    /** Every operation of the API; OpenApiSyncTest holds openapi.json to this list. */
    static final List<Route> ROUTES = List.of(
            new Route("GET", "guests", (m, c) -> c.send(200, m.guests().stream().map(RestViews::guest).toList())),
            new Route("POST", "guests", ApiServlet::createGuest),
            new Route("GET", "guests/*", (m, c) -> c.send(200, RestViews.guest(m.guest(c.seg(1))
                    .orElseThrow(() -> notFound("guest", c.seg(1)))))),
            new Route("DELETE", "guests/*", (m, c) -> {
                m.deleteGuest(c.seg(1), c.flag("force"));
                c.send(204, null);
            }),
            new Route("POST", "guests/*/start", (m, c) -> c.send(200, RestViews.guest(m.startGuest(c.seg(1))))),
            new Route("POST", "guests/*/stop", (m, c) -> c.send(200, RestViews.guest(
                    m.stopGuest(c.seg(1), Duration.ofSeconds(positive(c.number("timeoutSeconds", 10), "timeoutSeconds")))))),
            new Route("POST", "guests/*/pause", (m, c) -> c.send(200, RestViews.guest(m.pauseGuest(c.seg(1))))),
            new Route("POST", "guests/*/resume", (m, c) -> c.send(200, RestViews.guest(m.resumeGuest(c.seg(1))))),
            new Route("POST", "guests/*/exec", (m, c) -> c.send(200, RestViews.exec(m.exec(c.seg(1), c.required("command"),
                    Duration.ofSeconds(positive(c.number("timeoutSeconds", 30), "timeoutSeconds")))))),
            new Route("GET", "guests/*/interfaces", (m, c) -> c.send(200, m.guest(c.seg(1))
                    .orElseThrow(() -> notFound("guest", c.seg(1))).interfaces().stream().map(RestViews::iface).toList())),
            new Route("POST", "guests/*/interfaces", (m, c) -> c.send(201, RestViews.iface(m.addInterface(c.seg(1),
                    c.required("name"), c.text("bridge"), c.text("mac"), transport(c.text("transport")))))),
            new Route("DELETE", "guests/*/interfaces/*", (m, c) -> {
                m.removeInterface(c.seg(1), c.seg(3));
                c.send(204, null);
            }),
            new Route("POST", "guests/*/interfaces/*/connect", (m, c) -> c.send(200,
                    RestViews.iface(m.connect(c.seg(1), c.seg(3), c.required("bridge"))))),
            new Route("POST", "guests/*/interfaces/*/disconnect", (m, c) -> c.send(200,
                    RestViews.iface(m.disconnect(c.seg(1), c.seg(3))))),
            new Route("POST", "guests/*/interfaces/*/addresses", (m, c) -> c.send(200,
                    RestViews.iface(m.addAddress(c.seg(1), c.seg(3), c.required("cidr"))))),
            new Route("DELETE", "guests/*/interfaces/*/addresses", (m, c) -> c.send(200,
                    RestViews.iface(m.removeAddress(c.seg(1), c.seg(3), c.required("cidr"))))),
            new Route("GET", "bridges", (m, c) -> c.send(200, m.bridges().stream().map(RestViews::bridge).toList())),
            new Route("POST", "bridges", (m, c) -> c.send(201, RestViews.bridge(m.createBridge(c.required("name"))))),
            new Route("GET", "bridges/*", (m, c) -> c.send(200, RestViews.bridge(m.bridge(c.seg(1))
                    .orElseThrow(() -> notFound("bridge", c.seg(1)))))),
            new Route("DELETE", "bridges/*", (m, c) -> {
                m.deleteBridge(c.seg(1));
                c.send(204, null);
            }),
            new Route("GET", "templates", (m, c) -> c.send(200, m.templates())),
            new Route("POST", "templates", (m, c) -> c.send(201, m.createTemplate(c.required("name")))),
            new Route("DELETE", "templates/*", (m, c) -> {
                m.deleteTemplate(c.seg(1));
                c.send(204, null);
            }),
            new Route("POST", "templates/*/load", (m, c) -> c.send(200, m.loadTemplate(c.seg(1)))),
            new Route("POST", "templates/*/unload", ApiServlet::unloadTemplate),
            new Route("GET", "templates/*/diff", (m, c) -> c.send(200, m.diffTemplate(c.seg(1)))),
            new Route("GET", "masters", (m, c) -> c.send(200, m.masters())),
            new Route("GET", "status", (m, c) -> c.send(200, m.status())),
            new Route("GET", "openapi.json", (m, c) -> openApi(c)));

    private final transient Mesh mesh;
    private final transient AccessToken token;

    /** The labs' routes, while dumm-lab's LabService is there. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile LabRoutes labs;

    /** The test runs' routes, while dumm-test's ScenarioRunner is there. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile TestRunRoutes testRuns;

    @Activate
    public ApiServlet(@Reference Mesh mesh, @Reference AccessToken token) {
        this.mesh = mesh;
        this.token = token;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        HttpCall call = new HttpCall(req, resp);
        if (!token.admits(req.getHeader("Authorization"))) {
            resp.setHeader("WWW-Authenticate", "Bearer realm=\"dumm\"");
            call.error(401, "UNAUTHORIZED", "a valid token is required in 'Authorization: Bearer TOKEN'"
                    + " (./dumm web prints it)");
            return;
        }
        if (!call.path.isEmpty() && call.seg(0).equals("labs")) {
            answerLabs(call);
            return;
        }
        if (!call.path.isEmpty() && call.seg(0).equals("test-runs")) {
            answerTestRuns(call);
            return;
        }
        Route route = ROUTES.stream().filter(r -> call.is(r.method(), r.pattern())).findFirst().orElse(null);
        if (route == null) {
            boolean pathKnown = ROUTES.stream().anyMatch(r -> call.pathIs(r.pattern()));
            call.error(pathKnown ? 405 : 404, pathKnown ? "METHOD_NOT_ALLOWED" : "NOT_FOUND",
                    pathKnown ? call.method + " is not allowed on " + req.getPathInfo()
                            : "no such resource: " + PREFIX + (req.getPathInfo() == null ? "" : req.getPathInfo()));
            return;
        }
        try {
            route.handler().answer(mesh, call);
        } catch (DummException e) {
            call.error(HttpCall.status(e.reason()), e.reason().name(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("REST {} {} failed", req.getMethod(), req.getPathInfo(), e);
            call.error(500, "INTERNAL", String.valueOf(e.getMessage()));
        }
    }

    private void answerLabs(HttpCall call) throws IOException {
        LabRoutes l = labs;
        if (l == null) {
            // before LabRoutes is touched: without dumm-lab its class cannot be linked
            call.error(404, "LABS_UNAVAILABLE", "labs are not available: install the feature dumm-lab"
                    + " (feature:install dumm-lab)");
            return;
        }
        LabRoutes.Route route = LabRoutes.match(call);
        if (route == null) {
            boolean known = LabRoutes.knows(call);
            call.error(known ? 405 : 404, known ? "METHOD_NOT_ALLOWED" : "NOT_FOUND", known
                    ? call.method + " is not allowed on " + call.req.getPathInfo()
                    : "no such resource: " + PREFIX + call.req.getPathInfo());
            return;
        }
        try {
            l.answer(route, call);
        } catch (DummException e) {
            call.error(HttpCall.status(e.reason()), e.reason().name(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("REST {} {} failed", call.method, call.req.getPathInfo(), e);
            call.error(500, "INTERNAL", String.valueOf(e.getMessage()));
        }
    }

    private void answerTestRuns(HttpCall call) throws IOException {
        TestRunRoutes t = testRuns;
        if (t == null) {
            // before TestRunRoutes is touched: without dumm-test its class cannot be linked
            call.error(404, "TESTS_UNAVAILABLE", "test runs are not available: install the feature dumm-test"
                    + " (feature:install dumm-test)");
            return;
        }
        TestRunRoutes.Route route = TestRunRoutes.match(call);
        if (route == null) {
            boolean known = TestRunRoutes.knows(call);
            call.error(known ? 405 : 404, known ? "METHOD_NOT_ALLOWED" : "NOT_FOUND", known
                    ? call.method + " is not allowed on " + call.req.getPathInfo()
                    : "no such resource: " + PREFIX + call.req.getPathInfo());
            return;
        }
        try {
            t.answer(route, call);
        } catch (DummException e) {
            call.error(HttpCall.status(e.reason()), e.reason().name(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("REST {} {} failed", call.method, call.req.getPathInfo(), e);
            call.error(500, "INTERNAL", String.valueOf(e.getMessage()));
        }
    }

    private static void createGuest(Mesh m, HttpCall c) throws IOException {
        GuestDefinition d = new GuestDefinition(c.required("name"), c.text("backend"), c.text("kernel"),
                c.text("master"), (int) Math.min(Integer.MAX_VALUE, nonNegative(c.number("memoryMb", 0), "memoryMb")),
                c.textList("extraArgs"), c.text("modules"));
        c.send(201, RestViews.guest(m.createGuest(d)));
    }

    private static void unloadTemplate(Mesh m, HttpCall c) throws IOException {
        String name = c.seg(1);
        if (m.templates().stream().noneMatch(t -> t.name().equals(name))) {
            throw notFound("template", name);
        }
        if (m.loadedTemplate().filter(t -> t.name().equals(name)).isEmpty()) {
            throw new DummException(Reason.INVALID_STATE, "template '" + name + "' is not loaded");
        }
        m.unloadTemplate();
        c.send(204, null);
    }

    private static void openApi(HttpCall c) throws IOException {
        try (InputStream in = ApiServlet.class.getResourceAsStream("/org/dumm/rest/openapi.json")) {
            byte[] doc = in.readAllBytes();
            c.resp.setStatus(200);
            c.resp.setContentType("application/json;charset=utf-8");
            c.resp.setContentLength(doc.length);
            c.resp.getOutputStream().write(doc);
        }
    }

    private static Transport transport(String s) {
        if (s == null) {
            return null;
        }
        for (Transport t : Transport.values()) {
            if (t.name().equalsIgnoreCase(s)) {
                return t;
            }
        }
        throw new DummException(Reason.INVALID_ARGUMENT, "unknown transport '" + s + "' (one of "
                + java.util.Arrays.toString(Transport.values()).toLowerCase() + ")");
    }

    private static long positive(long v, String name) {
        if (v <= 0) {
            throw new DummException(Reason.INVALID_ARGUMENT, "'" + name + "' must be positive");
        }
        return v;
    }

    private static long nonNegative(long v, String name) {
        if (v < 0) {
            throw new DummException(Reason.INVALID_ARGUMENT, "'" + name + "' must not be negative");
        }
        return v;
    }

    static DummException notFound(String kind, String name) {
        return new DummException(Reason.NOT_FOUND, kind + " '" + name + "' does not exist");
    }
}
