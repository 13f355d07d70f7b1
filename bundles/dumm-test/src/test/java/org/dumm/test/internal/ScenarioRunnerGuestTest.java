package org.dumm.test.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Transport;
import org.dumm.core.internal.MeshFixture;
import org.dumm.core.internal.MeshManager;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.test.RunOptions;
import org.dumm.test.RunReport;
import org.dumm.test.ScenarioResult;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Scenarios in strongSwan's format run on real guests: the moon/sun/alice/bob testbed on the
 * tests' cached Debian master (Debian's strongSwan), an IKEv2 PSK net-to-net scenario that
 * passes, one with a wrong PSK that fails, and a malformed one that is an error; the run goes on
 * and leaves no template, capture or IPsec state. Names start with {@code dmt}.
 */
public class ScenarioRunnerGuestTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmttest:", 3961);
    private static final List<String> HOSTS = List.of("dmtmoon", "dmtsun", "dmtalice", "dmtbob");
    private static final Duration EXEC = Duration.ofSeconds(30);

    private static Path work;
    private static MeshFixture fx;
    private static MeshManager mesh;

    @BeforeClass
    public static void testbed() throws Exception {
        fx = new MeshFixture("dmt", MARKER);
        work = fx.workDir;
        mesh = fx.mesh;
        mesh.importMaster("dmtdeb", cachedMaster(), line -> { });
        for (String b : List.of("dmtinet", "dmtnet1", "dmtnet2")) {
            mesh.createBridge(b);
        }
        for (String h : HOSTS) {
            mesh.createGuest(new GuestDefinition(h, null, null, "dmtdeb", 128, List.of()));
        }
        iface("dmtmoon", "eth0", "dmtinet", "192.168.0.1/24");
        iface("dmtmoon", "eth1", "dmtnet1", "10.1.0.1/16");
        iface("dmtsun", "eth0", "dmtinet", "192.168.0.2/24");
        iface("dmtsun", "eth1", "dmtnet2", "10.2.0.1/16");
        iface("dmtalice", "eth0", "dmtnet1", "10.1.0.10/16");
        iface("dmtbob", "eth0", "dmtnet2", "10.2.0.10/16");
        assertEquals(Map.of(), mesh.startGuests(HOSTS, line -> { }));
        for (String h : HOSTS) {
            mesh.awaitStartup(h, Duration.ofSeconds(120));
        }
        out("dmtalice", "ip route add default via 10.1.0.1");
        out("dmtbob", "ip route add default via 10.2.0.1");
        out("dmtmoon", "sysctl -qw net.ipv4.ip_forward=1 && ip route add 10.2.0.0/16 via 192.168.0.2");
        out("dmtsun", "sysctl -qw net.ipv4.ip_forward=1 && ip route add 10.1.0.0/16 via 192.168.0.1");
        // the testbed's own state: strongSwan stopped; each scenario starts it with its own config
        out("dmtmoon", "systemctl stop strongswan");
        out("dmtsun", "systemctl stop strongswan");
    }

    /** The Debian master the dumm-core tests cache ({@code $DUMM_CACHE/masters}, see DebianMasters there). */
    private static Path cachedMaster() throws IOException {
        Path cache = Path.of(System.getenv().getOrDefault("DUMM_CACHE", "/var/cache/dumm-ci"), "masters");
        Optional<Path> cached = Optional.empty();
        if (Files.isDirectory(cache)) {
            try (Stream<Path> s = Files.list(cache)) {
                cached = s.filter(p -> p.getFileName().toString().matches("debian-bookworm-.*\\.tar\\.gz"))
                        .max(Comparator.comparing(p -> p.toFile().lastModified()));
            }
        }
        return cached.orElseThrow(() -> new IllegalStateException("no cached Debian master in " + cache
                + ": run dumm-core's DebianTestbedTest once to build it"));
    }

    @AfterClass
    public static void tearDown() throws IOException, InterruptedException {
        if (fx != null) {
            fx.close(); // deletes every guest and bridge, then fails on what is left
        }
    }

    private static void iface(String guest, String iface, String bridge, String cidr) {
        mesh.addInterface(guest, iface, bridge, null, Transport.TUNTAP);
        mesh.addAddress(guest, iface, cidr);
    }

    private static String out(String guest, String command) {
        ExecResult r = mesh.exec(guest, command, EXEC);
        assertEquals("'" + command + "' in " + guest + ": " + r.stdoutText() + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }

    private static final String PRETEST = """
            moon::systemctl start strongswan && for i in $(seq 50); do [ -S /var/run/charon.vici ] && break; sleep 0.2; done; swanctl --load-all
            sun::systemctl start strongswan && for i in $(seq 50); do [ -S /var/run/charon.vici ] && break; sleep 0.2; done; swanctl --load-all
            moon::swanctl --initiate --child net-net --timeout 20
            """;
    private static final String POSTTEST = """
            moon::swanctl --terminate --ike net-net --timeout 20
            moon::systemctl stop strongswan
            sun::systemctl stop strongswan
            """;

    private static String swanctl(String me, String peerPlaceholder, String localTs, String remoteTs, String psk) {
        return "connections {\n  net-net {\n    version = 2\n    remote_addrs = " + peerPlaceholder + "\n"
                + "    local {\n      auth = psk\n      id = " + me + "\n    }\n"
                + "    remote {\n      auth = psk\n      id = " + (me.equals("moon") ? "sun" : "moon") + "\n    }\n"
                + "    children {\n      net-net {\n        local_ts = " + localTs + "\n        remote_ts = " + remoteTs + "\n"
                + "        esp_proposals = aes128gcm16\n      }\n    }\n  }\n}\n"
                + "secrets {\n  ike-net {\n    id-1 = moon\n    id-2 = sun\n    secret = \"" + psk + "\"\n  }\n}\n";
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private static Path scenarios() throws IOException {
        Path root = work.resolve("tests/ikev2");
        Path ok = root.resolve("a-net2net-psk");
        write(ok.resolve("test.conf"), "VIRTHOSTS=\"alice moon sun bob\"\nIPSECHOSTS=\"moon sun\"\nTCPDUMPHOSTS=\"sun\"\nSWANCTL=1\n");
        write(ok.resolve("description.txt"), "An IKEv2 <b>PSK</b> net-to-net tunnel between moon and sun.\n");
        write(ok.resolve("hosts/moon/etc/swanctl/swanctl.conf"), swanctl("moon", "PH_IP_SUN", "10.1.0.0/16", "10.2.0.0/16", "dmt-psk-0123456789"));
        write(ok.resolve("hosts/sun/etc/swanctl/swanctl.conf"), swanctl("sun", "PH_IP_MOON", "10.2.0.0/16", "10.1.0.0/16", "dmt-psk-0123456789"));
        write(ok.resolve("hosts/moon/etc/dmt-marker"), "moon-marker PH_IP_MOON1\n");
        write(ok.resolve("pretest.dat"), PRETEST);
        write(ok.resolve("evaltest.dat"), """
                # the tunnel is up on both ends
                moon:: swanctl --list-sas::net-net.*ESTABLISHED::YES
                sun:: swanctl --list-sas::INSTALLED, TUNNEL::YES
                moon:: swanctl --list-sas::CONNECTING::NO
                alice::ping -c 2 -W 2 PH_IP_BOB::bytes from PH_IP_BOB::2
                moon::cat /etc/dmt-marker::^moon-marker 10\\.1\\.0\\.1$::YES
                sun::tcpdump::PH_IP_MOON > PH_IP_SUN: ESP::YES
                sun::tcpdump::PH_IP_SUN > PH_IP_MOON: ESP::YES
                """);
        write(ok.resolve("posttest.dat"), POSTTEST);
        // declarative checks after evaltest, while the tunnel is up
        write(ok.resolve("checks.yaml"), """
                reachability:
                  alice: [bob]
                custom_commands:
                  moon:
                    - command: swanctl --list-sas
                      regex_match: "net-net.*ESTABLISHED"
                """);

        Path bad = root.resolve("b-net2net-wrong-psk");
        write(bad.resolve("test.conf"), "VIRTHOSTS=\"alice moon sun bob\"\nIPSECHOSTS=\"moon sun\"\nTCPDUMPHOSTS=\"sun\"\n");
        write(bad.resolve("hosts/moon/etc/swanctl/swanctl.conf"), swanctl("moon", "PH_IP_SUN", "10.1.0.0/16", "10.2.0.0/16", "dmt-wrong-psk-000000"));
        write(bad.resolve("hosts/sun/etc/swanctl/swanctl.conf"), swanctl("sun", "PH_IP_MOON", "10.2.0.0/16", "10.1.0.0/16", "dmt-psk-0123456789"));
        write(bad.resolve("pretest.dat"), PRETEST);
        write(bad.resolve("evaltest.dat"), """
                moon::cat /etc/dmt-marker 2>&1::No such file::YES
                moon::swanctl --list-sas::net-net.*ESTABLISHED::YES
                sun::tcpdump::ESP::NO
                """);
        write(bad.resolve("posttest.dat"), POSTTEST);

        Path broken = root.resolve("c-malformed");
        write(broken.resolve("test.conf"), "VIRTHOSTS=\"moon\"\n");
        write(broken.resolve("evaltest.dat"), "moon::true::x::YES\nmoon::true::x::PERHAPS\n");
        return root;
    }

    @Test
    public void aPassingAFailingAndAMalformedScenarioBackToBack() throws Exception {
        Path root = scenarios();
        List<String> progress = new ArrayList<>();
        ScenarioRunnerImpl runner = new ScenarioRunnerImpl(mesh);
        long t0 = System.nanoTime();
        RunReport report = runner.run(List.of(root), new RunOptions("dmt", false, false, true), progress::add);
        System.out.printf("3 scenarios in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        progress.forEach(System.out::println);
        List<ScenarioResult> rs = report.results();
        assertEquals(3, rs.size());

        ScenarioResult ok = rs.get(0);
        assertEquals(String.join("\n", ok.log()) + "\n" + ok.failure() + "\n" + ok.detail(), ScenarioResult.Verdict.PASSED, ok.verdict());
        assertEquals("ikev2", ok.category());
        assertTrue(ok.log().contains("alice# ping -c 2 -W 2 PH_IP_BOB | grep 'bytes from 10.2.0.10'  [2]  OK"));
        assertTrue(String.join("\n", ok.log()), ok.log().contains("checks.yaml:2: alice: reaches bob  OK"));
        assertTrue(ok.log().contains("checks.yaml:5: moon: command 'swanctl --list-sas', matches /net-net.*ESTABLISHED/  OK"));
        // the IPsec hosts' state recorded for the report, while the tunnel is up
        int state = ok.log().indexOf("[state]");
        int post = ok.log().indexOf("[posttest]");
        assertTrue(String.join("\n", ok.log()), state > 0 && post > state);
        List<String> stateLog = ok.log().subList(state, post);
        assertTrue(stateLog.contains("sun# swanctl --list-sas"));
        assertTrue(stateLog.contains("moon# iptables-save; ip6tables-save"));
        assertTrue(String.join("\n", stateLog), stateLog.stream().anyMatch(l -> l.matches("\\s*proto esp spi 0x[0-9a-f]+.*")));

        ScenarioResult bad = rs.get(1);
        assertEquals(String.join("\n", bad.log()), ScenarioResult.Verdict.FAILED, bad.verdict());
        assertEquals("evaltest.dat:2: moon::swanctl --list-sas::net-net.*ESTABLISHED::YES", bad.failure());
        assertTrue(String.join("\n", bad.log()), bad.log().contains("moon# cat /etc/dmt-marker 2>&1 | grep 'No such file'  [YES]  OK"));

        ScenarioResult broken = rs.get(2);
        assertEquals(ScenarioResult.Verdict.ERROR, broken.verdict());
        assertTrue(broken.failure(), broken.failure().endsWith("evaltest.dat:2: hit must be YES, NO or a count, not 'PERHAPS': moon::true::x::PERHAPS"));
        assertEquals(1, report.passed());
        assertEquals(2, report.failed());
        assertEquals("1 passed, 2 failed", progress.get(progress.size() - 1));

        // nothing of the scenarios is left: no template, capture, IPsec state or scenario file
        assertTrue(mesh.templates().isEmpty());
        assertTrue(mesh.loadedTemplate().isEmpty());
        assertFalse(mesh.exec("dmtsun", "pgrep -x tcpdump", EXEC).succeeded());
        assertEquals("", out("dmtmoon", "ip xfrm state; ip xfrm policy"));
        assertEquals("", out("dmtsun", "ip xfrm state; ip xfrm policy"));
        assertFalse(mesh.exec("dmtmoon", "test -e /etc/dmt-marker", EXEC).succeeded());
        assertFalse(out("dmtmoon", "cat /etc/swanctl/swanctl.conf").contains("net-net"));

        Path xml = work.resolve("report/junit.xml");
        runner.writeJUnit(report, xml);
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        Element suite = doc.getDocumentElement();
        assertEquals("3", suite.getAttribute("tests"));
        assertEquals("1", suite.getAttribute("failures"));
        assertEquals("1", suite.getAttribute("errors"));
        NodeList cases = suite.getElementsByTagName("testcase");
        assertEquals(3, cases.getLength());
        Element second = (Element) cases.item(1);
        assertEquals("b-net2net-wrong-psk", second.getAttribute("name"));
        assertEquals("ikev2", second.getAttribute("classname"));
        Element failure = (Element) second.getElementsByTagName("failure").item(0);
        assertEquals("evaltest.dat:2: moon::swanctl --list-sas::net-net.*ESTABLISHED::YES", failure.getAttribute("message"));
        assertEquals(0, ((Element) cases.item(0)).getElementsByTagName("failure").getLength());
        assertEquals(1, ((Element) cases.item(2)).getElementsByTagName("error").getLength());

        Path html = work.resolve("report/html");
        runner.writeHtml(report, html);
        String page = Files.readString(html.resolve("ikev2_b-net2net-wrong-psk.html"));
        assertTrue(page, page.contains("FAILED (0 matching lines)"));
        assertTrue(Files.readString(html.resolve("index.html")).contains("1 passed, 2 failed"));
        assertTrue(Files.readString(html.resolve("ikev2_a-net2net-psk.html")).contains("<h3>state</h3>"));
    }

    /**
     * Directories with a checks.yaml and no test.conf: the checks alone on the running guests, one
     * file that passes (every kind of check, as Kathará's lab checker writes them), one that fails
     * with the line of its first failing check after retrying for its convergence time, one naming
     * a device that has no guest.
     */
    @Test
    public void declarativeChecksAloneOnTheRunningGuests() throws Exception {
        Path root = work.resolve("checks");
        write(root.resolve("a-pass/checks.yaml"), """
                test:
                  ip_mapping:
                    moon:
                      "0": 192.168.0.1/24
                      eth1: [10.1.0.1/16]
                  kernel_routes:
                    alice:
                      - default via 10.1.0.1 dev eth0
                      - 10.1.0.0/16 dev eth0
                      - "!10.9.0.0/16"
                    moon:
                      - 10.2.0.0/16 via 192.168.0.2 dev eth0
                  daemons:
                    sun: [systemd-journald, "!charon-systemd"]
                  reachability:
                    alice: [bob, 10.1.0.1, "!10.1.0.99"]
                  custom_commands:
                    bob:
                      - command: echo dmt-hello
                        expected_output: dmt-hello
                      - command: "exit 3"
                        exit_code: 3
                """);
        write(root.resolve("b-fail/checks.yaml"), """
                convergence_time: 2
                ip_mapping:
                  moon:
                    eth0: 192.168.0.1/24
                    eth1: 10.1.0.9/16
                reachability:
                  alice: ["!bob"]
                """);
        write(root.resolve("c-nobody/checks.yaml"), "daemons:\n  nobody: [init]\n");
        List<String> progress = new ArrayList<>();
        RunReport report = new ScenarioRunnerImpl(mesh).run(List.of(root), new RunOptions("dmt", false, false, true),
                progress::add);
        progress.forEach(System.out::println);
        List<ScenarioResult> rs = report.results();
        assertEquals(3, rs.size());
        ScenarioResult pass = rs.get(0);
        assertEquals(String.join("\n", pass.log()) + "\n" + pass.failure() + "\n" + pass.detail(),
                ScenarioResult.Verdict.PASSED, pass.verdict());
        assertEquals("checks", pass.category());
        String passLog = String.join("\n", pass.log());
        assertTrue(passLog, pass.log().contains("checks.yaml:14: sun: process systemd-journald  OK"));
        assertTrue(passLog, pass.log().contains("checks.yaml:16: alice: reaches bob  OK"));
        assertEquals(passLog, 13, pass.log().stream().filter(l -> l.endsWith("  OK")).count());

        ScenarioResult fail = rs.get(1);
        assertEquals(String.join("\n", fail.log()), ScenarioResult.Verdict.FAILED, fail.verdict());
        assertEquals("checks.yaml:5: moon: address 10.1.0.9/16 on eth1", fail.failure());
        assertTrue(fail.detail(), fail.detail().contains("inet 10.1.0.1/16"));
        assertTrue(fail.log().contains("checks.yaml:4: moon: address 192.168.0.1/24 on eth0  OK"));
        assertTrue(fail.log().contains("checks.yaml:7: alice: does not reach bob  FAILED"));
        assertTrue(String.join("\n", fail.log()), fail.log().stream().anyMatch(l -> l.matches(
                "checks\\.yaml: [0-9]+ rounds \\(convergence_time 2 s is up\\)")));

        ScenarioResult nobody = rs.get(2);
        assertEquals(ScenarioResult.Verdict.ERROR, nobody.verdict());
        assertEquals("checks.yaml: device nobody: no guest dmtnobody", nobody.failure());
        assertTrue(mesh.templates().isEmpty());
    }
}
