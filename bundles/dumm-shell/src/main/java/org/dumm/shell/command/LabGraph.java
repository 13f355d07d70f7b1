package org.dumm.shell.command;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.dumm.lab.LabInfo;
import org.dumm.lab.LabLink;

/**
 * A lab's topology as text: devices and collision domains are nodes, each device interface an
 * edge to its CD labelled with the interface name. Node ids are prefixed (d_, c_) so a device and
 * a CD of the same name stay apart.
 */
final class LabGraph {

    private LabGraph() {
    }

    static String dot(LabInfo lab) {
        StringBuilder b = new StringBuilder("graph \"" + lab.name() + "\" {\n");
        for (LabInfo.Device d : lab.devices()) {
            b.append("  \"d_").append(d.name()).append("\" [label=\"").append(d.name()).append("\", shape=box];\n");
        }
        for (LabInfo.Segment s : lab.segments()) {
            b.append("  \"c_").append(s.cd()).append("\" [label=\"").append(s.cd()).append("\\n").append(s.bridge())
                    .append("\", shape=ellipse];\n");
        }
        for (LabInfo.Device d : lab.devices()) {
            for (LabLink l : d.links()) {
                b.append("  \"d_").append(d.name()).append("\" -- \"c_").append(l.cd()).append("\" [label=\"")
                        .append(l.iface()).append("\"];\n");
            }
        }
        return b.append("}\n").toString();
    }

    static String mermaid(LabInfo lab) {
        StringBuilder b = new StringBuilder("flowchart LR\n");
        for (LabInfo.Device d : lab.devices()) {
            b.append("  d_").append(d.name()).append("[\"").append(d.name()).append("\"]\n");
        }
        for (LabInfo.Segment s : lab.segments()) {
            b.append("  c_").append(s.cd()).append("((\"").append(s.cd()).append("\"))\n");
        }
        for (LabInfo.Device d : lab.devices()) {
            for (LabLink l : d.links()) {
                b.append("  d_").append(d.name()).append(" ---|").append(l.iface()).append("| c_").append(l.cd()).append('\n');
            }
        }
        return b.toString();
    }

    static Map<String, Object> json(LabInfo lab) {
        List<Map<String, Object>> nodes = new ArrayList<>();
        List<Map<String, Object>> edges = new ArrayList<>();
        for (LabInfo.Device d : lab.devices()) {
            nodes.add(node("device", d.name(), d.guest()));
            for (LabLink l : d.links()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("device", d.name());
                e.put("iface", l.iface());
                e.put("cd", l.cd());
                e.put("mac", l.mac());
                edges.add(e);
            }
        }
        for (LabInfo.Segment s : lab.segments()) {
            nodes.add(node("cd", s.cd(), s.bridge()));
        }
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("lab", lab.name());
        g.put("nodes", nodes);
        g.put("edges", edges);
        return g;
    }

    private static Map<String, Object> node(String kind, String name, String host) {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("kind", kind);
        n.put("name", name);
        n.put(kind.equals("cd") ? "bridge" : "guest", host);
        return n;
    }
}
