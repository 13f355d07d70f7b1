package org.dumm.web.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;

/**
 * The web UI's static files under {@code /dumm/ui/}: a page, a script and a style sheet from
 * this bundle, nothing else. They hold no mesh data: the page asks the REST API (dumm-rest)
 * for everything, with the token the URL's fragment ({@code #token=…}, never sent to the
 * server) gave it. The only third-party code, xterm.js for the consoles, is fetched from npm by
 * the build and served from here (vendor/); nothing is loaded from elsewhere
 * (Content-Security-Policy 'self'; inline styles allowed, which xterm.js sets).
 */
@Component(service = Servlet.class, property = {
        "osgi.http.whiteboard.servlet.pattern=" + UiServlet.PATTERN,
        "osgi.http.whiteboard.servlet.name=dumm-web-ui"})
public final class UiServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    public static final String PREFIX = "/dumm/ui";
    public static final String PATTERN = PREFIX + "/*";
    private static final String ROOT = "/org/dumm/web/static/";

    /** The files served, with their types. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html;charset=utf-8",
            "app.js", "text/javascript;charset=utf-8",
            "graph.js", "text/javascript;charset=utf-8",
            "consoles.js", "text/javascript;charset=utf-8",
            "labs.js", "text/javascript;charset=utf-8",
            "tests.js", "text/javascript;charset=utf-8",
            "style.css", "text/css;charset=utf-8",
            "vendor/xterm.js", "text/javascript;charset=utf-8",
            "vendor/addon-fit.js", "text/javascript;charset=utf-8",
            "vendor/xterm.css", "text/css;charset=utf-8");

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String info = req.getPathInfo();
        if (info == null) {
            resp.sendRedirect(req.getRequestURI() + "/");
            return;
        }
        String name = info.equals("/") ? "index.html" : info.substring(1);
        String type = FILES.get(name);
        if (type == null) {
            resp.sendError(404);
            return;
        }
        byte[] body;
        try (InputStream in = UiServlet.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                resp.sendError(404);
                return;
            }
            body = in.readAllBytes();
        }
        resp.setContentType(type);
        resp.setHeader("Cache-Control", "no-cache");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Referrer-Policy", "no-referrer");
        resp.setHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
