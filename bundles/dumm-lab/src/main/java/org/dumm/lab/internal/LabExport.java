package org.dumm.lab.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Guest;
import org.dumm.api.Iface;
import org.dumm.api.Impairment;
import org.dumm.api.LinkState;
import org.dumm.api.Mesh;
import org.dumm.lab.Lab;
import org.dumm.lab.LabDevice;
import org.dumm.lab.LabFiles;
import org.dumm.lab.LabLink;

/**
 * A running lab as a Dumm YAML lab file: devices and options from the remembered state and the
 * source, interfaces, segments, addresses and cable state from the mesh as it is now (so changes
 * made by hand are kept). A MAC is written only where the lab fixed one: Dumm derives the others
 * from guest and interface names, the same again after a re-apply.
 */
final class LabExport {

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./@+][A-Za-z0-9_./:@+%-]*");
    private static final Pattern RESERVED = Pattern.compile("(?i)true|false|yes|no|on|off|null|y|n|~|[-+]?[0-9][0-9._:eE+-]*");
    private static final Pattern ETH = Pattern.compile("eth([0-9]+)");

    private LabExport() {
    }

    /** The remembered links with the live addresses and cable state of the guest's interfaces. */
    static List<LabLink> liveLinks(Guest g, List<LabLink> links) {
        List<LabLink> out = new ArrayList<>();
        for (LabLink l : links) {
            Optional<Iface> i = g.interfaces().stream().filter(x -> x.name().equals(l.iface())).findFirst();
            out.add(i.map(x -> new LabLink(l.index(), l.cd(), l.mac(), x.addresses(), x.link())).orElse(l));
        }
        return out;
    }

    static String write(LabState s, Lab source, Mesh mesh, Path file) {
        Path base = file == null ? null : file.toAbsolutePath().normalize().getParent();
        StringBuilder y = new StringBuilder();
        y.append("# lab ").append(s.name()).append(", exported by dumm:lab-export from the running mesh\n");
        y.append("name: ").append(q(s.name())).append('\n');
        if (source != null && !source.prefix().equals(s.name())) {
            y.append("prefix: ").append(q(source.prefix())).append('\n');
        }
        if (source != null) {
            for (var m : List.of(Map.entry("LAB_DESCRIPTION", "description"), Map.entry("LAB_VERSION", "version"),
                    Map.entry("LAB_AUTHOR", "author"), Map.entry("LAB_EMAIL", "email"), Map.entry("LAB_WEB", "web"))) {
                String v = source.metadata().get(m.getKey());
                if (v != null) {
                    y.append(m.getValue()).append(": ").append(quoted(v)).append('\n');
                }
            }
        } else {
            y.append("# the source ").append(s.source()).append(" could not be read: device options and files are not in this export\n");
        }
        if (s.template() != null) {
            y.append("template: ").append(q(s.template())).append('\n');
        }
        if (source != null && !source.shared().equals(LabFiles.NONE)) {
            y.append("shared:\n");
            files(y, "  ", source.shared(), base);
        }
        Map<String, String> cdOfBridge = new LinkedHashMap<>();
        s.segments().forEach((cd, bridge) -> cdOfBridge.put(bridge, cd));
        Map<String, List<String>> segments = new LinkedHashMap<>();
        s.segments().keySet().forEach(cd -> segments.put(cd, new ArrayList<>()));
        y.append("nodes:\n");
        s.devices().forEach((dev, d) -> {
            Optional<Guest> g = mesh.guest(d.guest());
            LabDevice src = source == null ? null : source.device(dev);
            y.append("  ").append(dev).append(":\n");
            int mark = y.length();
            node(y, d, src, g, base);
            List<String> on = s.dependencies().getOrDefault(dev, List.of());
            if (!on.isEmpty()) {
                y.append("    depends: [").append(String.join(", ", on)).append("]\n");
            }
            if (y.length() == mark) {
                y.setLength(mark - 1);
                y.append(" {}\n");
            }
            List<Iface> ifaces = g.map(x -> sortedEth(x.interfaces())).orElse(List.of());
            if (g.isEmpty()) {
                for (LabLink l : d.links()) {
                    segments.get(l.cd()).add(endpoint(dev, l.iface(), l.mac(), l.addresses(), l.link()));
                }
                return;
            }
            int expected = 0;
            for (Iface i : ifaces) {
                int index = Integer.parseInt(i.name().substring(3));
                if (index != expected || i.bridge() == null) {
                    y.append("    # ").append(i.name()).append(index != expected ? " left out: interfaces go eth0, eth1, ... without gaps\n"
                            : " left out: it is on no bridge\n");
                    continue;
                }
                expected++;
                String cd = cdOfBridge.computeIfAbsent(i.bridge(), b -> b.replace('-', '_'));
                String mac = index < d.links().size() ? d.links().get(index).mac() : null;
                segments.computeIfAbsent(cd, k -> new ArrayList<>()).add(endpoint(dev, i.name(), mac, i.addresses(), i.link()));
            }
        });
        y.append("segments:\n");
        segments.forEach((cd, members) -> {
            if (members.isEmpty()) {
                return;
            }
            y.append("  ").append(cd).append(":\n");
            members.forEach(m -> y.append(m));
        });
        String text = y.toString();
        if (file != null) {
            try {
                Files.writeString(file, text, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new DummException(Reason.HOST_ERROR, "cannot write " + file + ": " + e.getMessage(), e);
            }
        }
        return text;
    }

    private static void node(StringBuilder y, LabState.Device d, LabDevice src, Optional<Guest> g, Path base) {
        String liveMaster = g.map(Guest::master).orElse(d.master());
        boolean masterAsRemembered = d.master() == null || d.master().equals(liveMaster);
        if (!masterAsRemembered || src == null && d.master() != null) {
            y.append("    master: ").append(q(liveMaster)).append('\n');
        } else if (src != null && src.master() != null) {
            y.append("    master: ").append(q(src.master())).append('\n');
        } else if (src != null && src.image() != null) {
            y.append("    image: ").append(q(src.image())).append('\n');
        }
        opt(y, "backend", d.backend());
        opt(y, "kernel", d.kernel());
        if (d.memoryMb() > 0) {
            y.append("    mem: ").append(d.memoryMb()).append("m\n");
        }
        if (src == null) {
            return;
        }
        if (src.ipv6() != null) {
            y.append("    ipv6: ").append(src.ipv6()).append('\n');
        }
        opt(y, "shell", src.shell());
        files(y, "    ", src.files(), base);
        list(y, "exec", src.exec());
        list(y, "sysctl", src.sysctls());
        if (!src.env().isEmpty()) {
            y.append("    env:\n");
            new java.util.TreeMap<>(src.env()).forEach((k, v) -> y.append("      ").append(k).append(": ").append(quoted(v)).append('\n'));
        }
    }

    private static void files(StringBuilder y, String indent, LabFiles f, Path base) {
        if (f.files() != null) {
            y.append(indent).append("files: ").append(quoted(relative(base, f.files()))).append('\n');
        }
        if (f.startup() != null) {
            y.append(indent).append("startup: ").append(quoted(relative(base, f.startup()))).append('\n');
        }
        if (f.shutdown() != null) {
            y.append(indent).append("shutdown: ").append(quoted(relative(base, f.shutdown()))).append('\n');
        }
    }

    private static String relative(Path base, Path p) {
        return base != null && p.startsWith(base) ? base.relativize(p).toString() : p.toString();
    }

    private static String endpoint(String dev, String iface, String mac, List<String> addresses, LinkState link) {
        List<String> v4 = addresses.stream().filter(a -> a.indexOf(':') < 0).toList();
        List<String> v6 = addresses.stream().filter(a -> a.indexOf(':') >= 0).toList();
        if (mac == null && addresses.isEmpty() && link.isDefault()) {
            return "    - " + dev + ":" + iface + "\n";
        }
        StringBuilder e = new StringBuilder("    - node: ").append(dev).append("\n      iface: ").append(iface).append('\n');
        if (mac != null) {
            e.append("      mac: \"").append(mac).append("\"\n");
        }
        inline(e, "ipv4", v4);
        inline(e, "ipv6", v6);
        if (!link.carrier()) {
            e.append("      carrier: false\n");
        }
        if (link.toGuest().equals(link.fromGuest())) {
            if (!link.toGuest().isNone()) {
                e.append("      impair: ").append(impairment(link.toGuest())).append('\n');
            }
        } else {
            e.append("      impair:\n");
            if (!link.toGuest().isNone()) {
                e.append("        in: ").append(impairment(link.toGuest())).append('\n');
            }
            if (!link.fromGuest().isNone()) {
                e.append("        out: ").append(impairment(link.fromGuest())).append('\n');
            }
        }
        return e.toString();
    }

    /** {@code {delay: 10ms, loss: 1%}}: the words of {@link Impairment#describe} in pairs. */
    private static String impairment(Impairment i) {
        String[] w = i.describe().split(" ");
        List<String> pairs = new ArrayList<>();
        for (int k = 0; k + 1 < w.length; k += 2) {
            pairs.add(w[k] + ": " + quoted(w[k + 1]));
        }
        return "{" + String.join(", ", pairs) + "}";
    }

    private static void inline(StringBuilder e, String key, List<String> values) {
        if (!values.isEmpty()) {
            e.append("      ").append(key).append(": [").append(String.join(", ", values.stream().map(LabExport::quoted).toList()))
                    .append("]\n");
        }
    }

    private static List<Iface> sortedEth(List<Iface> ifaces) {
        return ifaces.stream().filter(i -> ETH.matcher(i.name()).matches())
                .sorted((a, b) -> Integer.compare(Integer.parseInt(a.name().substring(3)), Integer.parseInt(b.name().substring(3))))
                .toList();
    }

    private static void opt(StringBuilder y, String key, String value) {
        if (value != null) {
            y.append("    ").append(key).append(": ").append(quoted(value)).append('\n');
        }
    }

    private static void list(StringBuilder y, String key, List<String> values) {
        if (!values.isEmpty()) {
            y.append("    ").append(key).append(":\n");
            values.forEach(v -> y.append("      - ").append(quoted(v)).append('\n'));
        }
    }

    /** A name: plain. */
    private static String q(String s) {
        return quoted(s);
    }

    /** Plain when YAML reads it back as the same string, else double-quoted with JSON escapes. */
    static String quoted(String s) {
        if (PLAIN.matcher(s).matches() && !RESERVED.matcher(s).matches() && !s.contains(": ")) {
            return s;
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
