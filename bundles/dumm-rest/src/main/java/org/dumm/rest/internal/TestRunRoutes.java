package org.dumm.rest.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.test.RunOptions;
import org.dumm.test.RunReport;
import org.dumm.test.ScenarioResult;
import org.dumm.test.ScenarioRunner;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code /dumm/api/test-runs} resources, on dumm-test's {@link ScenarioRunner}: a run of
 * scenario directories started in the background (one at a time, as {@code dumm:test-run}), its
 * progress and, once done, its results. The last {@value #KEPT} runs are kept in memory. A
 * component of its own, like {@link LabRoutes}: the only class of dumm-rest that loads
 * org.dumm.test; {@link ApiServlet} answers 404 {@code TESTS_UNAVAILABLE} without it.
 */
@Component(service = TestRunRoutes.class)
public final class TestRunRoutes {

    static final int KEPT = 20;

    @FunctionalInterface
    interface Handler {
        void answer(TestRunRoutes runs, HttpCall call) throws IOException;
    }

    record Route(String method, String pattern, Handler handler) {
    }

    /** OpenApiSyncTest holds openapi.json to these as well. */
    static final List<Route> ROUTES = List.of(
            new Route("GET", "test-runs", (t, c) -> c.send(200, t.list())),
            new Route("POST", "test-runs", TestRunRoutes::start),
            new Route("GET", "test-runs/*", (t, c) -> c.send(200, t.run(c.seg(1)).view(true))));

    private final ScenarioRunner runner;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dumm-rest-test-run");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger ids = new AtomicInteger();
    private final List<Run> runs = new ArrayList<>();

    @Activate
    public TestRunRoutes(@Reference ScenarioRunner runner) {
        this.runner = runner;
    }

    @Deactivate
    void close() {
        worker.shutdownNow();
    }

    static Route match(HttpCall call) {
        return ROUTES.stream().filter(r -> call.is(r.method(), r.pattern())).findFirst().orElse(null);
    }

    static boolean knows(HttpCall call) {
        return ROUTES.stream().anyMatch(r -> call.pathIs(r.pattern()));
    }

    void answer(Route route, HttpCall call) throws IOException {
        route.handler().answer(this, call);
    }

    /** One run: what it was asked, its progress lines, and its report when done. */
    static final class Run {
        final String id;
        final List<String> paths;
        final String prefix;
        final Instant started = Instant.now();
        final List<String> progress = new ArrayList<>();
        volatile Instant finished;
        volatile RunReport report;
        volatile String error;

        Run(String id, List<String> paths, String prefix) {
            this.id = id;
            this.paths = List.copyOf(paths);
            this.prefix = prefix;
        }

        String state() {
            return error != null ? "ERROR" : report != null ? "DONE" : "RUNNING";
        }

        synchronized Map<String, Object> view(boolean full) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("state", state());
            m.put("paths", paths);
            m.put("guestPrefix", prefix);
            m.put("started", started.toString());
            m.put("finished", finished == null ? null : finished.toString());
            RunReport r = report;
            m.put("passed", r == null ? null : r.passed());
            m.put("failed", r == null ? null : r.failed());
            m.put("error", error);
            if (full) {
                m.put("progress", List.copyOf(progress));
                m.put("results", r == null ? List.of() : r.results().stream().map(Run::result).toList());
            }
            return m;
        }

        private static Map<String, Object> result(ScenarioResult s) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("category", s.category());
            m.put("name", s.name());
            m.put("verdict", s.verdict().name());
            m.put("failure", s.failure());
            m.put("detail", s.detail());
            m.put("millis", s.millis());
            m.put("description", s.description());
            m.put("log", s.log());
            return m;
        }

        synchronized void progress(String line) {
            progress.add(line);
        }
    }

    private synchronized List<Map<String, Object>> list() {
        return runs.stream().map(r -> r.view(false)).toList();
    }

    private synchronized Run run(String id) {
        return runs.stream().filter(r -> r.id.equals(id)).findFirst()
                .orElseThrow(() -> ApiServlet.notFound("test run", id));
    }

    /** {@code {"paths": ["/abs/dir", …], "guestPrefix": "…", "stopOnFail": false}}: 202 and the run. */
    private static void start(TestRunRoutes t, HttpCall c) throws IOException {
        List<String> paths = c.textList("paths");
        if (paths.isEmpty()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "'paths' must name at least one scenario directory");
        }
        List<Path> dirs = new ArrayList<>();
        for (String p : paths) {
            Path d = Path.of(p);
            if (!d.isAbsolute()) {
                throw new DummException(Reason.INVALID_ARGUMENT, "paths must be absolute (on the Dumm host): " + p);
            }
            dirs.add(d);
        }
        String prefix = c.text("guestPrefix");
        RunOptions options = new RunOptions(prefix, false, c.flag("stopOnFail"), true);
        Run run = new Run(String.valueOf(t.ids.incrementAndGet()), paths, options.guestPrefix());
        synchronized (t) {
            t.runs.add(run);
            if (t.runs.size() > KEPT) {
                t.runs.remove(0);
            }
        }
        t.worker.submit(() -> {
            try {
                run.report = t.runner.run(dirs, options, run::progress);
            } catch (RuntimeException e) {
                run.error = String.valueOf(e.getMessage());
            } finally {
                run.finished = Instant.now();
            }
        });
        c.send(202, run.view(false));
    }
}
