package org.dumm.test.internal;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a {@code checks.yaml}: Kathará lab checker's keys ({@code ip_mapping}, {@code kernel_routes},
 * {@code daemons}, {@code reachability}, {@code custom_commands}, {@code convergence_time}), at the
 * top or under {@code test:}, so a lab checker configuration (JSON is YAML too) serves as it is.
 * Its keys Dumm does not check ({@code labs_path}, {@code protocols}, …) are warnings. The YAML is
 * composed into nodes, not objects, so that every error names its line.
 */
final class ChecksParser {

    private static final Set<String> CHECK_KEYS = Set.of("ip_mapping", "kernel_routes", "daemons", "reachability",
            "custom_commands");
    private static final Set<String> IGNORED_KEYS = Set.of("labs_path", "structure", "default_image", "requiring_startup",
            "protocols", "applications");
    private static final Pattern DEVICE = Pattern.compile("[a-z0-9][a-z0-9_-]*");
    private static final Pattern IFACE = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,14}");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*");

    private final Path file;
    private final List<Check> checks = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private int convergence;

    private ChecksParser(Path file) {
        this.file = file;
    }

    /** The file's checks; ScenarioFormatException with the line for what is malformed. */
    static Checks read(Path file, List<String> warnings) {
        ChecksParser p = new ChecksParser(file);
        Node root;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new Yaml(new LoaderOptions()).compose(r);
        } catch (MarkedYAMLException e) {
            throw new ScenarioFormatException(file, e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1,
                    "not YAML: " + e.getProblem());
        } catch (YAMLException e) {
            throw new ScenarioFormatException(file, 0, "not YAML: " + e.getMessage());
        } catch (IOException e) {
            throw new ScenarioFormatException(file, 0, "cannot read: " + e.getMessage());
        }
        if (root != null) {
            p.top(p.mapping(root, "the file"));
        }
        if (p.checks.isEmpty()) {
            throw new ScenarioFormatException(file, 0, "no checks in it (keys: " + String.join(", ", CHECK_KEYS.stream()
                    .sorted().toList()) + ")");
        }
        warnings.addAll(p.warnings);
        return new Checks(file, p.convergence, p.checks);
    }

    private void top(MappingNode map) {
        for (NodeTuple t : map.getValue()) {
            String key = scalar(t.getKeyNode(), "a key");
            Node v = t.getValueNode();
            if (key.equals("test")) {
                top(mapping(v, "test"));
            } else if (key.equals("convergence_time")) {
                convergence = number(v, "convergence_time", 0, 3600);
            } else if (CHECK_KEYS.contains(key)) {
                for (NodeTuple d : mapping(v, key).getValue()) {
                    String device = device(d.getKeyNode());
                    switch (key) {
                        case "ip_mapping" -> addresses(device, d.getValueNode());
                        case "kernel_routes" -> each(d.getValueNode(), key, n -> route(device, n));
                        case "daemons" -> each(d.getValueNode(), key, n -> daemon(device, n));
                        case "reachability" -> each(d.getValueNode(), key, n -> reach(device, n));
                        default -> each(d.getValueNode(), key, n -> command(device, n));
                    }
                }
            } else if (IGNORED_KEYS.contains(key)) {
                warnings.add(file.getFileName() + ":" + line(t.getKeyNode()) + ": '" + key + "' is not checked by Dumm");
            } else {
                throw error(t.getKeyNode(), "unknown key '" + key + "' (checks: " + String.join(", ", CHECK_KEYS.stream()
                        .sorted().toList()) + "; convergence_time)");
            }
        }
    }

    private void addresses(String device, Node ifaces) {
        for (NodeTuple t : mapping(ifaces, "ip_mapping of " + device).getValue()) {
            String iface = scalar(t.getKeyNode(), "an interface");
            if (iface.matches("[0-9]{1,3}")) {
                iface = "eth" + iface; // the lab checker's interface numbers
            }
            if (!IFACE.matcher(iface).matches()) {
                throw error(t.getKeyNode(), "bad interface name '" + iface + "'");
            }
            String name = iface;
            each(t.getValueNode(), "ip_mapping", n -> checks.add(new Check.Address(line(n), device, name, cidr(n, true))));
        }
    }

    private void route(String device, Node n) {
        String text = scalar(n, "a route");
        boolean absent = text.startsWith("!");
        String[] w = (absent ? text.substring(1) : text).trim().split("\\s+");
        String dest = w[0].equals("default") ? "default" : cidr(n, w[0], false);
        String via = null;
        String dev = null;
        for (int i = 1; i < w.length; i += 2) {
            if (i + 1 >= w.length || !(w[i].equals("via") || w[i].equals("dev"))) {
                throw error(n, "a route is 'DESTINATION [via ADDRESS] [dev IFACE]', not '" + text + "'");
            }
            if (w[i].equals("via")) {
                via = address(n, w[i + 1]);
            } else if (IFACE.matcher(w[i + 1]).matches()) {
                dev = w[i + 1];
            } else {
                throw error(n, "bad interface name '" + w[i + 1] + "'");
            }
        }
        checks.add(new Check.Route(line(n), device, dest, via, dev, absent));
    }

    private void daemon(String device, Node n) {
        String name = scalar(n, "a process name");
        boolean absent = name.startsWith("!");
        name = absent ? name.substring(1).trim() : name;
        if (!name.matches("[A-Za-z0-9_.:+-]{1,64}")) {
            throw error(n, "bad process name '" + name + "'");
        }
        checks.add(new Check.Daemon(line(n), device, name, absent));
    }

    private void reach(String device, Node n) {
        String target = scalar(n, "an address or device");
        boolean absent = target.startsWith("!");
        target = absent ? target.substring(1).trim() : target;
        if (!DEVICE.matcher(target).matches() || target.matches("[0-9.]+")) {
            target = address(n, target);
        }
        checks.add(new Check.Reach(line(n), device, target, absent));
    }

    private void command(String device, Node n) {
        String command = null;
        Integer exit = null;
        String expected = null;
        Pattern regex = null;
        for (NodeTuple t : mapping(n, "a custom command").getValue()) {
            String key = scalar(t.getKeyNode(), "a key");
            Node v = t.getValueNode();
            switch (key) {
                case "command" -> command = scalar(v, "command");
                case "exit_code" -> exit = number(v, "exit_code", 0, 255);
                case "expected_output" -> expected = scalar(v, "expected_output");
                case "regex_match" -> {
                    try {
                        regex = Pattern.compile(scalar(v, "regex_match"), Pattern.MULTILINE);
                    } catch (PatternSyntaxException e) {
                        throw error(v, "bad regex_match: " + e.getDescription());
                    }
                }
                default -> throw error(t.getKeyNode(), "unknown key '" + key
                        + "' of a custom command (command, exit_code, expected_output, regex_match)");
            }
        }
        if (command == null || command.isBlank()) {
            throw error(n, "a custom command needs 'command'");
        }
        checks.add(new Check.Command(line(n), device, command, exit == null && expected == null && regex == null ? Integer.valueOf(0) : exit,
                expected, regex));
    }

    private String cidr(Node n, boolean withLength) {
        return cidr(n, scalar(n, "an address"), withLength);
    }

    /** ADDRESS/LENGTH (a bare address is a host route: /32 or /128 unless {@code withLength}). */
    private String cidr(Node n, String text, boolean withLength) {
        int slash = text.indexOf('/');
        if (slash < 0 && withLength) {
            throw error(n, "'" + text + "' needs a prefix length (ADDRESS/LENGTH)");
        }
        String addr = address(n, slash < 0 ? text : text.substring(0, slash));
        int max = addr.contains(":") ? 128 : 32;
        int len = max;
        if (slash >= 0) {
            String l = text.substring(slash + 1);
            if (!l.matches("[0-9]{1,3}") || Integer.parseInt(l) > max) {
                throw error(n, "bad prefix length in '" + text + "'");
            }
            len = Integer.parseInt(l);
        }
        return addr + "/" + len;
    }

    /** An IPv4 or IPv6 address in its canonical text (so that fd00:0::1 and fd00::1 compare equal). */
    private String address(Node n, String text) {
        String canonical = IpText.canonical(text);
        if (canonical == null) {
            throw error(n, "'" + text + "' is not an IPv4 or IPv6 address");
        }
        return canonical;
    }

    private String device(Node n) {
        String d = scalar(n, "a device name");
        if (!DEVICE.matcher(d).matches()) {
            throw error(n, "bad device name '" + d + "'");
        }
        return d;
    }

    private interface NodeReader {
        void read(Node n);
    }

    /** A list's items, or a single value as a list of one. */
    private void each(Node n, String what, NodeReader reader) {
        if (n instanceof SequenceNode s) {
            if (s.getValue().isEmpty()) {
                throw error(n, "an empty list under " + what);
            }
            s.getValue().forEach(reader::read);
        } else {
            reader.read(n);
        }
    }

    private MappingNode mapping(Node n, String what) {
        if (n instanceof MappingNode m) {
            return m;
        }
        throw error(n, what + " must be a mapping (KEY: VALUE lines)");
    }

    private String scalar(Node n, String what) {
        if (n instanceof ScalarNode s && !s.getValue().isBlank()) {
            return s.getValue().trim();
        }
        throw error(n, "expected " + what + " here");
    }

    private int number(Node n, String what, int min, int max) {
        String s = scalar(n, what);
        if (!s.matches("[0-9]{1,5}") || Integer.parseInt(s) < min || Integer.parseInt(s) > max) {
            throw error(n, what + " must be a number from " + min + " to " + max + ", not '" + s + "'");
        }
        return Integer.parseInt(s);
    }

    private static int line(Node n) {
        return n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
    }

    private ScenarioFormatException error(Node n, String message) {
        return new ScenarioFormatException(file, line(n), message);
    }

    static boolean looksLikeIpv4(String s) {
        return IPV4.matcher(s).matches();
    }

    static boolean looksLikeIpv6(String s) {
        return IPV6.matcher(s).matches();
    }
}
