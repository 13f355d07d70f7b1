package org.dumm.rest.internal;

import java.nio.file.Path;
import java.util.Map;

import javax.servlet.http.HttpServlet;

import org.dumm.api.Mesh;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

/**
 * The REST servlets (and any others a test adds, dumm-web's) on a Jetty of the test's own, on
 * 127.0.0.1 and a free port: what pax-web does in Karaf.
 */
public final class RestServer implements AutoCloseable {

    final Server server = new Server();
    final AccessToken token;
    final EventServlet events;
    final ConsoleServlet consoles;
    final ApiServlet api;
    public final int port;

    RestServer(Mesh mesh, EventHub hub, Path tokenFile) throws Exception {
        this(mesh, hub, tokenFile, Map.of());
    }

    /** @param extra more servlets by path pattern */
    public RestServer(Mesh mesh, EventHub hub, Path tokenFile, Map<String, HttpServlet> extra) throws Exception {
        token = new AccessToken(tokenFile);
        ServerConnector c = new ServerConnector(server);
        c.setHost("127.0.0.1");
        c.setPort(0);
        server.addConnector(c);
        ServletContextHandler ctx = new ServletContextHandler();
        ctx.setContextPath("/");
        api = new ApiServlet(mesh, token);
        ctx.addServlet(new ServletHolder(api), ApiServlet.PATTERN);
        events = new EventServlet(hub, token);
        ctx.addServlet(new ServletHolder(events), EventServlet.PATH);
        consoles = new ConsoleServlet(mesh, token);
        ctx.addServlet(new ServletHolder(consoles), ConsoleServlet.PATTERN);
        extra.forEach((pattern, servlet) -> ctx.addServlet(new ServletHolder(servlet), pattern));
        server.setHandler(ctx);
        server.setStopTimeout(2000);
        server.start();
        port = c.getLocalPort();
    }

    RestClient client() {
        return new RestClient("http://127.0.0.1:" + port + ApiServlet.PREFIX, token.value());
    }

    /** Serves /labs on {@code labs} from now on (null: as without dumm-lab), as DS binds LabRoutes in Karaf. */
    public void labs(org.dumm.lab.LabService labs) {
        api.labs = labs == null ? null : new LabRoutes(labs);
    }

    /** Serves /test-runs on {@code runner} from now on (null: as without dumm-test). */
    public void testRuns(org.dumm.test.ScenarioRunner runner) {
        TestRunRoutes old = api.testRuns;
        api.testRuns = runner == null ? null : new TestRunRoutes(runner);
        if (old != null) {
            old.close();
        }
    }

    public String token() {
        return token.value();
    }

    /** An event hub for {@link org.dumm.core.internal.MeshFixture} to feed. */
    public static EventHub newHub() {
        return new EventHub();
    }

    @Override
    public void close() throws Exception {
        events.close();
        consoles.close();
        testRuns(null);
        server.stop();
    }
}
