package org.dumm.rest.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Progress;
import org.dumm.lab.LabOptions;
import org.dumm.lab.LabPlan;
import org.dumm.lab.LabService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code /dumm/api/labs} resources, on a {@link LabService}: a component of its own, so that
 * it exists only while dumm-lab does (this class is the only one of dumm-rest that loads
 * org.dumm.lab). {@link ApiServlet} takes it through an optional, dynamic reference and answers
 * 404 {@code LABS_UNAVAILABLE} without it.
 */
@Component(service = LabRoutes.class)
public final class LabRoutes {

    @FunctionalInterface
    interface Handler {
        void answer(LabService labs, HttpCall call) throws IOException;
    }

    record Route(String method, String pattern, Handler handler) {
    }

    /** OpenApiSyncTest holds openapi.json to these as well. */
    static final List<Route> ROUTES = List.of(
            new Route("GET", "labs", (l, c) -> c.send(200, l.labs())),
            new Route("POST", "labs", LabRoutes::apply),
            new Route("GET", "labs/*", (l, c) -> c.send(200, l.info(c.seg(1))
                    .orElseThrow(() -> ApiServlet.notFound("lab", c.seg(1))))),
            new Route("DELETE", "labs/*", (l, c) -> {
                if (l.info(c.seg(1)).isEmpty()) {
                    throw ApiServlet.notFound("lab", c.seg(1));
                }
                l.destroy(c.seg(1), Progress.NONE);
                c.send(204, null);
            }));

    private final LabService labs;

    @Activate
    public LabRoutes(@Reference LabService labs) {
        this.labs = labs;
    }

    /** The route answering the call, or null. */
    static Route match(HttpCall call) {
        return ROUTES.stream().filter(r -> call.is(r.method(), r.pattern())).findFirst().orElse(null);
    }

    static boolean knows(HttpCall call) {
        return ROUTES.stream().anyMatch(r -> call.pathIs(r.pattern()));
    }

    void answer(Route route, HttpCall call) throws IOException {
        route.handler().answer(labs, call);
    }

    /**
     * {@code {"path": "/dir/of/lab", "name": "…", "dryRun": true}}: the plan (200) without
     * touching the mesh, or the plan carried out (201) and the lab as it is now.
     */
    private static void apply(LabService l, HttpCall c) throws IOException {
        String path = c.required("path");
        Path source = Path.of(path);
        if (!source.isAbsolute()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "'path' must be absolute (on the Dumm host): " + path);
        }
        LabOptions options = new LabOptions(c.text("name"), Map.of());
        if (c.flag("dryRun")) {
            c.send(200, Map.of("dryRun", true, "plan", plan(l.plan(source, options))));
            return;
        }
        LabPlan done = l.apply(source, options, Progress.NONE);
        c.send(201, Map.of("dryRun", false, "plan", plan(done),
                "lab", l.info(done.lab()).map(Object.class::cast).orElse(Map.of("name", done.lab()))));
    }

    private static Map<String, Object> plan(LabPlan p) {
        return Map.of("lab", p.lab(), "firstApply", p.firstApply(), "warnings", p.warnings(),
                "changes", p.changes().stream().map(ch -> Map.of("kind", ch.kind().name(), "target", ch.target(),
                        "detail", ch.detail(), "line", ch.toString())).toList());
    }
}
