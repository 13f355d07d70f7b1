package org.dumm.rest.internal;

import java.util.LinkedHashMap;
import java.util.Map;

import org.dumm.api.Bridge;
import org.dumm.api.ExecResult;
import org.dumm.api.Guest;
import org.dumm.api.Iface;
import org.dumm.api.Startup;

/**
 * The JSON shapes of the REST API: the members and names {@code --json} prints in the Karaf
 * shell (dumm-shell's Views), so a script can switch between {@code ./dumm client} and HTTP.
 * Templates, template diffs, masters and the status are their API records as they stand.
 */
final class RestViews {

    private RestViews() {
    }

    static Map<String, Object> guest(Guest g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", g.name());
        m.put("state", g.state().name());
        m.put("pid", g.pid());
        m.put("backend", g.backend());
        m.put("kernel", g.kernel());
        m.put("master", g.master());
        m.put("memoryMb", g.memoryMb());
        m.put("extraArgs", g.extraArgs());
        m.put("startedAt", g.startedAt() == null ? null : g.startedAt().toString());
        m.put("interfaces", g.interfaces().stream().map(RestViews::iface).toList());
        Map<String, Object> modules = null;
        if (g.modules() != null) {
            modules = new LinkedHashMap<>();
            modules.put("release", g.modules().release());
            modules.put("directory", g.modules().directory());
        }
        m.put("modules", modules);
        m.put("startup", g.startup() == null ? null : startup(g.startup()));
        return m;
    }

    private static Map<String, Object> startup(Startup s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", s.state().name());
        m.put("exitStatus", s.exitStatus());
        m.put("log", Startup.LOG);
        return m;
    }

    static Map<String, Object> iface(Iface i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("guest", i.guest());
        m.put("name", i.name());
        m.put("tap", i.tap());
        m.put("bridge", i.bridge());
        m.put("mac", i.mac());
        m.put("transport", i.transport().name().toLowerCase());
        m.put("addresses", i.addresses());
        return m;
    }

    static Map<String, Object> bridge(Bridge b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", b.name());
        m.put("ports", b.ports());
        return m;
    }

    static Map<String, Object> exec(ExecResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exitStatus", r.exitStatus());
        m.put("stdout", r.stdoutText());
        m.put("stderr", r.stderrText());
        m.put("durationMs", r.duration().toMillis());
        m.put("timedOut", r.timedOut());
        m.put("truncated", r.truncated());
        return m;
    }

    static Map<String, Object> error(int status, String reason, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", status);
        m.put("reason", reason);
        m.put("message", message);
        return m;
    }
}
