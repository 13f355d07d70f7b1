package org.dumm.shell.command;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.dumm.api.Bridge;
import org.dumm.api.Guest;
import org.dumm.api.Iface;
import org.dumm.api.Startup;

/** The JSON shapes of {@code --json} output: stable field names scripts can rely on. */
final class Views {

    private Views() {
    }

    static String json(Object value) {
        return JsonText.of(value);
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
        m.put("interfaces", g.interfaces().stream().map(Views::iface).toList());
        m.put("modules", g.modules() == null ? null
                : Map.of("release", g.modules().release(), "directory", g.modules().directory()));
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

    /** One line on a guest's startup for people. */
    static String startupLine(Startup s) {
        if (s == null) {
            return "-";
        }
        if (!s.done()) {
            return "running (log " + Startup.LOG + " in the guest)";
        }
        return (s.exitStatus() == 0 ? "done" : "failed, status " + s.exitStatus()) + " (log " + Startup.LOG + " in the guest)";
    }

    /** One line on a guest's kernel modules for people. */
    static String modulesLine(Guest g) {
        return g.modules() == null ? "none (its kernel has no modules directory)"
                : g.modules().directory() + " at /lib/modules/" + g.modules().release();
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
        m.put("link", link(i));
        return m;
    }

    /** carrier and impairments: {"carrier": true, "in": "delay 20ms", "out": "none"}. */
    static Map<String, Object> link(Iface i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("carrier", i.link().carrier());
        m.put("in", i.link().toGuest().describe());
        m.put("out", i.link().fromGuest().describe());
        return m;
    }

    /** One line for tables: "up", "down", with impairments when set. */
    static String linkLine(Iface i) {
        String s = i.link().carrier() ? "up" : "down";
        if (!i.link().toGuest().isNone()) {
            s += "; in " + i.link().toGuest().describe();
        }
        if (!i.link().fromGuest().isNone()) {
            s += "; out " + i.link().fromGuest().describe();
        }
        return s;
    }

    static Map<String, Object> bridge(Bridge b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", b.name());
        m.put("ports", b.ports());
        return m;
    }

    static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    static String join(List<String> list) {
        return list.isEmpty() ? "-" : String.join(",", list);
    }

    /** The captures on one of the guest's interfaces ({@code target} is {@code GUEST IFACE}), running first. */
    static List<org.dumm.api.Capture> capturesOf(String guest, List<org.dumm.api.Capture> all) {
        return all.stream().filter(c -> c.target().startsWith(guest + " "))
                .sorted(java.util.Comparator.comparing((org.dumm.api.Capture c) -> !c.running())).toList();
    }

    /** {@code cap1 eth0 icmp -> /tmp/a.pcap: running, 12 packets, 0 dropped}. */
    static String captureLine(org.dumm.api.Capture c) {
        String iface = c.target().substring(c.target().indexOf(' ') + 1);
        return c.id() + " " + iface + (c.filter() == null ? "" : " " + c.filter()) + " -> " + c.file() + ": "
                + (c.running() ? "running" : "ended (" + c.end() + ")") + ", " + c.packets() + " packets, "
                + c.dropped() + " dropped";
    }
}
