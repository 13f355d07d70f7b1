package org.dumm.test.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Mesh;
import org.dumm.api.Transport;

/**
 * The classic strongSwan testbed built on a mesh from the {@code testing/} directory of a
 * strongSwan source tree: the hosts and addresses of its {@code testing.conf}
 * ({@code HOSTNAMEIPV4}/{@code HOSTNAMEIPV6}), three segments (internet 192.168.0.0/24, moon's
 * net 10.1.0.0/16, sun's net 10.2.0.0/16), and each guest's base files from
 * {@code hosts/default} then {@code hosts/<host>} written into the guest's own layer (its diff,
 * above the master, below any scenario template), never into the master. Where Debian's packages
 * differ from the tree's own /usr/local build, {@link #BRIDGE} links the paths scenarios name.
 */
public final class StrongswanTestbed {

    /** Base files the recipe leaves out: Dumm boots, mounts and addresses the guests itself. */
    public static final Set<String> SKIPPED = Set.of("etc/fstab", "etc/inittab", "etc/network/interfaces",
            "etc/ssh/sshd_config");

    /** Debian's strongSwan (bookworm) under the /usr/local paths the tree's own build uses. */
    public static final String BRIDGE = "mkdir -p /usr/local/libexec/ipsec /usr/local/sbin"
            + " && for f in /usr/lib/ipsec/*; do ln -sfn \"$f\" /usr/local/libexec/ipsec/; done"
            + " && for f in swanctl ipsec charon-cmd; do [ -e /usr/sbin/$f ] && ln -sfn /usr/sbin/$f /usr/local/sbin/$f; done"
            + "; mkdir -p /usr/local/lib && ln -sfn /usr/lib/ipsec /usr/local/lib/ipsec; true";

    private static final Pattern LIST = Pattern.compile(":\\s*\\$\\{HOSTNAMEIPV([46])=\"([^\"]*)\"\\}");
    private static final Map<String, String> BRIDGE_OF_NET = Map.of("192.168.0.", "internet", "10.1.", "net-moon",
            "10.2.", "net-sun", "fec0:", "internet", "fec1:", "net-moon", "fec2:", "net-sun");
    private static final Duration EXEC = Duration.ofSeconds(30);

    /** One host of testing.conf: its IPv4 and IPv6 addresses, first (eth0) then second (eth1). */
    public record Host(String name, List<String> ipv4, List<String> ipv6) { }

    private final Path testing;
    private final Map<String, Host> hosts;

    private StrongswanTestbed(Path testing, Map<String, Host> hosts) {
        this.testing = testing;
        this.hosts = hosts;
    }

    /** Reads {@code testing.conf} and checks {@code hosts/default} of a strongSwan testing directory. */
    public static StrongswanTestbed of(Path testing) throws IOException {
        Path conf = testing.resolve("testing.conf");
        if (!Files.isRegularFile(conf)) {
            throw new IllegalArgumentException("no testing.conf in " + testing);
        }
        if (!Files.isDirectory(testing.resolve("hosts/default"))) {
            throw new IllegalArgumentException("no hosts/default in " + testing);
        }
        String text = Files.readString(conf, StandardCharsets.ISO_8859_1).replace("\\\n", " ");
        Map<String, List<String>> v4 = new LinkedHashMap<>();
        Map<String, List<String>> v6 = new LinkedHashMap<>();
        Matcher m = LIST.matcher(text);
        while (m.find()) {
            for (String entry : m.group(2).trim().split("\\s+")) {
                String[] f = entry.split(",");
                (m.group(1).equals("4") ? v4 : v6).put(f[0], List.of(f).subList(1, f.length));
            }
        }
        if (v4.isEmpty()) {
            throw new IllegalArgumentException(conf + ": no HOSTNAMEIPV4 list");
        }
        Map<String, Host> hosts = new LinkedHashMap<>();
        v4.forEach((h, a) -> hosts.put(h, new Host(h, a, v6.getOrDefault(h, List.of()))));
        return new StrongswanTestbed(testing, hosts);
    }

    /** The hosts of testing.conf, in its order. */
    public Map<String, Host> hosts() {
        return hosts;
    }

    /** The segment an address is on (internet, net-moon, net-sun), or null for none of them. */
    static String segment(String address) {
        return BRIDGE_OF_NET.entrySet().stream().filter(e -> address.startsWith(e.getKey()))
                .map(Map.Entry::getValue).findFirst().orElse(null);
    }

    /**
     * Creates bridges ({@code prefix} + segment), guests ({@code prefix} + host) of the master
     * with {@code memoryMb}, their interfaces and addresses, for the given hosts (a subset of
     * testing.conf's, e.g. moon sun alice bob for CI). Addresses on no segment (carol's and
     * dave's 10.3.0.x virtual IPs) are left to the scenarios.
     */
    public void create(Mesh mesh, String prefix, List<String> names, String master, int memoryMb) {
        List<Host> chosen = new ArrayList<>();
        for (String n : names) {
            Host h = hosts.get(n);
            if (h == null) {
                throw new IllegalArgumentException("no host " + n + " in testing.conf: " + hosts.keySet());
            }
            chosen.add(h);
        }
        for (String seg : List.of("internet", "net-moon", "net-sun")) {
            boolean used = chosen.stream().anyMatch(h -> h.ipv4().stream().anyMatch(a -> seg.equals(segment(a))));
            if (used) {
                mesh.createBridge(prefix + seg);
            }
        }
        for (Host h : chosen) {
            mesh.createGuest(new GuestDefinition(prefix + h.name(), null, null, master, memoryMb, List.of()));
            for (int i = 0; i < h.ipv4().size(); i++) {
                String seg = segment(h.ipv4().get(i));
                if (seg == null) {
                    continue;
                }
                String iface = "eth" + i;
                mesh.addInterface(prefix + h.name(), iface, prefix + seg, null, Transport.TUNTAP);
                mesh.addAddress(prefix + h.name(), iface, h.ipv4().get(i) + (seg.equals("internet") ? "/24" : "/16"));
                if (i < h.ipv6().size()) {
                    mesh.addAddress(prefix + h.name(), iface, h.ipv6().get(i) + "/16");
                }
            }
        }
    }

    /**
     * Prepares a running guest as the testbed does: base files (hosts/default, then hosts/HOST,
     * minus {@link #SKIPPED}) into its own layer, the /usr/local bridge, IP forwarding on the
     * gateways, the default route of its {@code etc/network/interfaces} and strongSwan stopped
     * (each scenario starts it with its own configuration). Needs no template loaded.
     */
    public void prepare(Mesh mesh, String prefix, String host, Consumer<String> progress) throws IOException {
        if (mesh.loadedTemplate().isPresent()) {
            throw new IllegalStateException("base files go into the guests' own layer: unload template "
                    + mesh.loadedTemplate().get().name() + " first");
        }
        String guest = prefix + host;
        int n = 0;
        for (String layer : List.of("default", host)) {
            Path root = testing.resolve("hosts").resolve(layer);
            if (!Files.isDirectory(root)) {
                continue;
            }
            List<Path> files;
            try (Stream<Path> s = Files.walk(root)) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path f : files) {
                String rel = root.relativize(f).toString();
                if (!SKIPPED.contains(rel)) {
                    long t0 = System.nanoTime();
                    put(mesh, guest, "/" + rel, Files.readAllBytes(f), mode(f));
                    progress.accept(guest + ": /" + rel + " (" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
                    n++;
                }
            }
        }
        run(mesh, guest, BRIDGE);
        String gw = gateway(host);
        StringBuilder net = new StringBuilder("true");
        if (host.equals("moon") || host.equals("sun")) {
            net.append(" && sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1");
        }
        if (gw != null) {
            net.append(" && ip route replace default via ").append(gw);
        }
        run(mesh, guest, net + "; systemctl stop strongswan strongswan-starter 2>/dev/null; true");
        progress.accept(guest + ": " + n + " base files from hosts/default and hosts/" + host
                + (gw == null ? "" : ", default via " + gw));
    }

    /** The IPv4 gateway of a host's etc/network/interfaces, if one is on a segment the host has. */
    String gateway(String host) throws IOException {
        Path f = testing.resolve("hosts").resolve(host).resolve("etc/network/interfaces");
        if (!Files.isRegularFile(f)) {
            return null;
        }
        Matcher m = Pattern.compile("(?m)^\\s*gateway\\s+(\\d+\\.\\d+\\.\\d+\\.\\d+)").matcher(Files.readString(f));
        return m.find() ? m.group(1) : null;
    }

    private static void put(Mesh mesh, String guest, String target, byte[] content, String mode) {
        for (String step : GuestFileWrite.commands(target, content, mode)) {
            run(mesh, guest, step);
        }
    }

    private static void run(Mesh mesh, String guest, String command) {
        ExecResult r = mesh.exec(guest, command, EXEC);
        if (!r.succeeded()) {
            throw new IllegalStateException(guest + ": '" + command + "' failed: " + r.stderrText());
        }
    }

    private static String mode(Path f) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(f);
            return p.contains(PosixFilePermission.OWNER_EXECUTE) ? "755" : "644";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
