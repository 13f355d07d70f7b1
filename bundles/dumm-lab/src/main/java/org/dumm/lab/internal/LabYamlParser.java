package org.dumm.lab.internal;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Impairment;
import org.dumm.api.LinkState;
import org.dumm.lab.Lab;
import org.dumm.lab.LabDevice;
import org.dumm.lab.LabFiles;
import org.dumm.lab.LabLink;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a Dumm lab file (YAML): checked against the shipped JSON Schema first, then for what a
 * schema cannot say (endpoints of unknown nodes, interface gaps, a MAC or endpoint given twice,
 * addresses, files that are missing, dependency cycles). Every error names the file and line.
 * Paths in the file are relative to its directory.
 */
final class LabYamlParser {

    static final String SCHEMA = "/org/dumm/lab/lab.schema.json";
    private static final YamlSchema SCHEMA_CHECK = YamlSchema.load(SCHEMA);
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*/(\\d{1,3})");
    /** The file's metadata keys and the Netkit names they are kept under (as lab.conf's LAB_*). */
    private static final Map<String, String> METADATA = Map.of("description", "LAB_DESCRIPTION", "version",
            "LAB_VERSION", "author", "LAB_AUTHOR", "email", "LAB_EMAIL", "web", "LAB_WEB");

    private final Path file;
    private final Path dir;
    private final String where;

    private LabYamlParser(Path file) {
        this.file = file.toAbsolutePath().normalize();
        this.dir = this.file.getParent();
        this.where = this.file.getFileName().toString();
    }

    static boolean isYaml(Path p) {
        String n = p.getFileName() == null ? "" : p.getFileName().toString();
        return n.endsWith(".yaml") || n.endsWith(".yml");
    }

    /** The YAML lab file of a directory (lab.yaml or lab.yml), or null. */
    static Path inDirectory(Path dir) {
        for (String n : List.of("lab.yaml", "lab.yml")) {
            if (Files.isRegularFile(dir.resolve(n))) {
                return dir.resolve(n);
            }
        }
        return null;
    }

    static Lab parse(Path file, String name) {
        return new LabYamlParser(file).read(name);
    }

    /** The document as composed, with its schema checked. */
    static MappingNode compose(Path file, String where) {
        Node doc;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).compose(r);
        } catch (MarkedYAMLException e) {
            throw new DummException(Reason.INVALID_ARGUMENT, where + " line " + (e.getProblemMark().getLine() + 1)
                    + ": not YAML: " + e.getProblem());
        } catch (YAMLException | IOException e) {
            throw new DummException(Reason.INVALID_ARGUMENT, "cannot read " + file + ": " + e.getMessage(), e);
        }
        if (doc == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, where + " is empty");
        }
        List<YamlSchema.Violation> v = SCHEMA_CHECK.validate(doc);
        if (!v.isEmpty()) {
            List<String> lines = v.stream().limit(8).map(x -> where + " " + x).toList();
            throw new DummException(Reason.INVALID_ARGUMENT, String.join("\n", lines)
                    + (v.size() > 8 ? "\n(" + (v.size() - 8) + " more)" : ""));
        }
        return (MappingNode) doc;
    }

    private Lab read(String givenName) {
        MappingNode doc = compose(file, where);
        Map<String, Node> top = map(doc);
        Map<String, String> metadata = new LinkedHashMap<>();
        METADATA.forEach((key, lab) -> {
            if (top.containsKey(key)) {
                metadata.put(lab, scalar(top.get(key)));
            }
        });
        String stem = where.replaceFirst("\\.ya?ml$", "");
        String name = givenName != null ? LabNames.checkLab(givenName)
                : top.containsKey("name") ? LabNames.checkLab(scalar(top.get("name")))
                : LabNames.labName(null, stem.equals("lab") ? dir : Path.of(stem));
        String prefix = top.containsKey("prefix") ? LabNames.checkPrefix(scalar(top.get("prefix"))) : null;
        String template = top.containsKey("template") ? scalar(top.get("template")) : null;
        Map<String, Node> defaults = top.containsKey("defaults") ? map(top.get("defaults")) : Map.of();
        LabFiles shared = LabFiles.NONE;
        if (top.containsKey("shared")) {
            Map<String, Node> s = map(top.get("shared"));
            shared = new LabFiles(path(s.get("files"), true), path(s.get("startup"), false), path(s.get("shutdown"), false));
        }
        Map<String, NodeDraft> nodes = new LinkedHashMap<>();
        for (NodeTuple t : ((MappingNode) top.get("nodes")).getValue()) {
            String dev = scalar(t.getKeyNode());
            Map<String, Node> own = t.getValueNode() instanceof MappingNode m ? map(m) : Map.of();
            Map<String, Node> merged = new LinkedHashMap<>(defaults);
            merged.putAll(own);
            nodes.put(dev, new NodeDraft(dev, YamlSchema.line(t.getKeyNode()), merged));
        }
        Endpoints endpoints = new Endpoints(nodes);
        if (top.containsKey("segments")) {
            for (NodeTuple t : ((MappingNode) top.get("segments")).getValue()) {
                String cd = scalar(t.getKeyNode());
                for (Node e : ((SequenceNode) t.getValueNode()).getValue()) {
                    endpoints.add(cd, e);
                }
            }
        }
        if (top.containsKey("links")) {
            for (Node link : ((SequenceNode) top.get("links")).getValue()) {
                List<Node> ends;
                String cd = null;
                if (link instanceof SequenceNode q) {
                    ends = q.getValue();
                } else {
                    Map<String, Node> l = map(link);
                    ends = ((SequenceNode) l.get("endpoints")).getValue();
                    cd = l.containsKey("segment") ? scalar(l.get("segment")) : null;
                }
                if (cd == null) {
                    List<String> parts = new ArrayList<>();
                    for (Node e : ends) {
                        parts.add(endpoints.label(e).replace(':', '_'));
                    }
                    cd = String.join("__", parts);
                }
                for (Node e : ends) {
                    endpoints.add(cd, e);
                }
            }
        }
        List<LabDevice> devices = new ArrayList<>();
        Map<String, List<String>> deps = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        for (NodeDraft n : nodes.values()) {
            devices.add(n.build(endpoints.links(n.name)));
            if (n.keys.containsKey("depends")) {
                List<String> on = new ArrayList<>();
                for (Node d : ((SequenceNode) n.keys.get("depends")).getValue()) {
                    String other = scalar(d);
                    if (!nodes.containsKey(other)) {
                        throw error(d, "node " + n.name + " depends on " + other + ", which is not a node");
                    }
                    if (!on.contains(other)) {
                        on.add(other);
                    }
                }
                deps.put(n.name, on);
            }
        }
        try {
            LabDepParser.waves(nodes.keySet(), deps);
        } catch (DummException e) {
            throw new DummException(Reason.INVALID_ARGUMENT, where + ": depends: " + e.getMessage().replaceFirst("^lab.dep: ", ""));
        }
        return new Lab(name, file, metadata, devices, deps, warnings, prefix, template, shared);
    }

    /** A node's settings (defaults merged) while the file is read. */
    private final class NodeDraft {
        final String name;
        final int line;
        final Map<String, Node> keys;

        NodeDraft(String name, int line, Map<String, Node> keys) {
            this.name = name;
            this.line = line;
            this.keys = keys;
        }

        String get(String key) {
            Node n = keys.get(key);
            return n == null ? null : scalar(n);
        }

        LabDevice build(List<LabLink> links) {
            int mem = 0;
            if (keys.containsKey("mem")) {
                Node m = keys.get("mem");
                String v = scalar(m);
                mem = LabConfParser.memory(v, where + " line " + YamlSchema.line(m));
            }
            Boolean ipv6 = keys.containsKey("ipv6") ? Boolean.valueOf(get("ipv6")) : null;
            List<String> sysctls = new ArrayList<>();
            Node s = keys.get("sysctl");
            if (s instanceof SequenceNode q) {
                q.getValue().forEach(x -> sysctls.add(scalar(x).replace(" ", "")));
            } else if (s instanceof MappingNode m) {
                m.getValue().forEach(t -> sysctls.add(scalar(t.getKeyNode()) + "=" + scalar(t.getValueNode())));
            }
            Map<String, String> env = new TreeMap<>();
            if (keys.get("env") instanceof MappingNode m) {
                m.getValue().forEach(t -> env.put(scalar(t.getKeyNode()), scalar(t.getValueNode())));
            }
            LabFiles files = new LabFiles(path(keys.get("files"), true), path(keys.get("startup"), false),
                    path(keys.get("shutdown"), false));
            return new LabDevice(name, links, mem, get("image"), ipv6, strings(keys.get("exec")), sysctls, env,
                    get("shell"), get("master"), get("kernel"), get("backend"), files);
        }
    }

    /** The endpoints of every segment and link, checked and gathered per node. */
    private final class Endpoints {
        final Map<String, NodeDraft> nodes;
        final Map<String, TreeMap<Integer, LabLink>> byNode = new LinkedHashMap<>();
        final Map<String, Integer> endpointLines = new LinkedHashMap<>();
        final Map<String, String> macs = new LinkedHashMap<>();

        Endpoints(Map<String, NodeDraft> nodes) {
            this.nodes = nodes;
        }

        String label(Node e) {
            if (e instanceof ScalarNode s) {
                return s.getValue();
            }
            Map<String, Node> m = map(e);
            return scalar(m.get("node")) + ":" + scalar(m.get("iface"));
        }

        void add(String cd, Node e) {
            String label = label(e);
            int colon = label.indexOf(':');
            String node = label.substring(0, colon);
            String iface = label.substring(colon + 1);
            if (!nodes.containsKey(node)) {
                throw error(e, "endpoint " + label + ": no node " + node);
            }
            Integer before = endpointLines.putIfAbsent(label, YamlSchema.line(e));
            if (before != null) {
                throw error(e, "endpoint " + label + " is already on a segment (line " + before + ")");
            }
            String mac = null;
            List<String> addresses = new ArrayList<>();
            LinkState state = LinkState.DEFAULT;
            if (e instanceof MappingNode) {
                Map<String, Node> m = map(e);
                if (m.containsKey("mac")) {
                    mac = scalar(m.get("mac")).toLowerCase(Locale.ROOT);
                    if ((Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0) {
                        throw error(m.get("mac"), "MAC " + mac + " is a multicast address");
                    }
                    String other = macs.putIfAbsent(mac, label);
                    if (other != null) {
                        throw error(m.get("mac"), "MAC " + mac + " of " + label + " is also " + other + "'s");
                    }
                }
                for (String cidr : strings(m.get("ipv4"))) {
                    addresses.add(ipv4(cidr, m.get("ipv4")));
                }
                for (String cidr : strings(m.get("ipv6"))) {
                    addresses.add(ipv6(cidr, m.get("ipv6")));
                }
                state = linkState(m);
            }
            int index = Integer.parseInt(iface.substring(3));
            byNode.computeIfAbsent(node, k -> new TreeMap<>()).put(index, new LabLink(index, cd, mac, addresses, state));
        }

        List<LabLink> links(String node) {
            TreeMap<Integer, LabLink> links = byNode.getOrDefault(node, new TreeMap<>());
            int expected = 0;
            for (int index : links.keySet()) {
                if (index != expected) {
                    throw new DummException(Reason.INVALID_ARGUMENT, where + " line " + nodes.get(node).line + ": node "
                            + node + " has eth" + index + " without eth" + expected
                            + " (interfaces start at eth0 without gaps)");
                }
                expected++;
            }
            return List.copyOf(links.values());
        }
    }

    private LinkState linkState(Map<String, Node> m) {
        boolean carrier = !m.containsKey("carrier") || Boolean.parseBoolean(scalar(m.get("carrier")));
        Impairment in = Impairment.NONE;
        Impairment out = Impairment.NONE;
        if (m.get("impair") instanceof MappingNode i) {
            Map<String, Node> im = map(i);
            if (im.containsKey("in") || im.containsKey("out")) {
                in = im.containsKey("in") ? impairment(im.get("in")) : Impairment.NONE;
                out = im.containsKey("out") ? impairment(im.get("out")) : Impairment.NONE;
            } else {
                in = impairment(i);
                out = in;
            }
        }
        return new LinkState(carrier, in, out);
    }

    private Impairment impairment(Node n) {
        Map<String, Node> m = map(n);
        try {
            return Impairment.parse(opt(m, "delay"), opt(m, "jitter"), opt(m, "loss"), opt(m, "duplicate"),
                    opt(m, "corrupt"), opt(m, "reorder"), opt(m, "rate"));
        } catch (DummException e) {
            throw error(n, "impair: " + e.getMessage());
        }
    }

    private static String opt(Map<String, Node> m, String key) {
        return m.containsKey(key) ? scalar(m.get(key)) : null;
    }

    private String ipv4(String cidr, Node at) {
        var m = IPV4.matcher(cidr);
        boolean ok = m.matches() && Integer.parseInt(m.group(5)) <= 32;
        for (int i = 1; ok && i <= 4; i++) {
            ok = Integer.parseInt(m.group(i)) <= 255;
        }
        if (!ok) {
            throw error(at, "'" + cidr + "' is not an IPv4 address with a prefix length (10.0.0.1/24)");
        }
        return cidr;
    }

    private String ipv6(String cidr, Node at) {
        var m = IPV6.matcher(cidr);
        if (!m.matches() || Integer.parseInt(m.group(1)) > 128 || !validIpv6(cidr.substring(0, cidr.indexOf('/')))) {
            throw error(at, "'" + cidr + "' is not an IPv6 address with a prefix length (fd00::1/64)");
        }
        return cidr;
    }

    /** A literal only (the pattern above has no letters beyond hex): no name is ever resolved. */
    private static boolean validIpv6(String literal) {
        try {
            return java.net.InetAddress.getByName(literal) instanceof java.net.Inet6Address;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** A path from the file, relative to its directory; it must exist (a directory when {@code directory}). */
    private Path path(Node n, boolean directory) {
        if (n == null) {
            return null;
        }
        Path p = dir.resolve(scalar(n)).normalize();
        if (directory ? !Files.isDirectory(p) : !Files.isRegularFile(p)) {
            throw error(n, (directory ? "directory " : "file ") + p + " does not exist");
        }
        return p;
    }

    private static List<String> strings(Node n) {
        if (n == null) {
            return List.of();
        }
        if (n instanceof SequenceNode q) {
            return q.getValue().stream().map(LabYamlParser::scalar).toList();
        }
        return List.of(scalar(n));
    }

    static Map<String, Node> map(Node n) {
        Map<String, Node> m = new LinkedHashMap<>();
        for (NodeTuple t : ((MappingNode) n).getValue()) {
            m.put(scalar(t.getKeyNode()), t.getValueNode());
        }
        return m;
    }

    static String scalar(Node n) {
        return ((ScalarNode) n).getValue();
    }

    private DummException error(Node at, String message) {
        return new DummException(Reason.INVALID_ARGUMENT, where + " line " + YamlSchema.line(at) + ": " + message);
    }
}
