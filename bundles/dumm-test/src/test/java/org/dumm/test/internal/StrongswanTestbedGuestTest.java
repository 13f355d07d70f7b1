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

import org.dumm.api.ExecResult;
import org.dumm.core.internal.MeshFixture;
import org.dumm.core.internal.MeshManager;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.test.RunOptions;
import org.dumm.test.RunReport;
import org.dumm.test.ScenarioResult;
import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The strongSwan testbed recipe on real guests: moon, sun, alice and bob built by
 * {@link StrongswanTestbed} from the shared strongSwan 5.9.8 {@code testing/} tree (its
 * testing.conf addresses, hosts/default then hosts/HOST as the guests' own layer) on the cached
 * Debian master, then a scenario in the tree's format (its helpers, its /usr/local updown path)
 * run by the scenario runner. Names start with {@code dmt}.
 */
public class StrongswanTestbedGuestTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmttest:", 3962);
    private static final List<String> HOSTS = List.of("moon", "sun", "alice", "bob");
    private static final Path TESTING = Path.of(System.getProperty("dumm.strongswan.testing",
            "/work/shared/strongswan-testing"));
    private static final Duration EXEC = Duration.ofSeconds(30);

    private static Path work;
    private static MeshFixture fx;
    private static MeshManager mesh;
    private static final List<String> prepared = new ArrayList<>();

    @BeforeClass
    public static void testbed() throws Exception {
        Assume.assumeTrue("no strongSwan testing tree at " + TESTING, Files.isRegularFile(TESTING.resolve("testing.conf")));
        fx = new MeshFixture("dmt", MARKER);
        work = fx.workDir;
        mesh = fx.mesh;
        mesh.importMaster("dmtdeb", cachedMaster(), line -> { });
        StrongswanTestbed bed = StrongswanTestbed.of(TESTING);
        assertEquals(List.of("alice", "venus", "moon", "carol", "winnetou", "dave", "sun", "bob"),
                List.copyOf(bed.hosts().keySet()));
        assertEquals(List.of("192.168.0.1", "10.1.0.1"), bed.hosts().get("moon").ipv4());
        assertEquals(List.of("fec0::1", "fec1::1"), bed.hosts().get("moon").ipv6());
        bed.create(mesh, "dmt", HOSTS, "dmtdeb", 128);
        List<String> guests = HOSTS.stream().map(h -> "dmt" + h).toList();
        assertEquals(Map.of(), mesh.startGuests(guests, line -> { }));
        for (String g : guests) {
            mesh.awaitStartup(g, Duration.ofSeconds(180));
        }
        for (String h : HOSTS) {
            bed.prepare(mesh, "dmt", h, prepared::add);
        }
    }

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
        if (fx != null) { // null: skipped, no strongSwan testing tree
            fx.close(); // deletes every guest and bridge, then fails on what is left
        }
    }

    private static String out(String guest, String command) {
        ExecResult r = mesh.exec(guest, command, EXEC);
        assertEquals("'" + command + "' in " + guest + ": " + r.stdoutText() + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    /** swanctl.conf in the style of the tree's ikev2/net2net-psk (its ids, its updown path). */
    private static String swanctl(String me, String peer, String localTs, String remoteTs) {
        return "connections {\n   gw-gw {\n      local_addrs  = PH_IP_" + me.toUpperCase() + "\n"
                + "      remote_addrs = PH_IP_" + peer.toUpperCase() + "\n"
                + "      local {\n         auth = psk\n         id = " + me + ".strongswan.org\n      }\n"
                + "      remote {\n         auth = psk\n         id = " + peer + ".strongswan.org\n      }\n"
                + "      children {\n         net-net {\n            local_ts  = " + localTs + "\n"
                + "            remote_ts = " + remoteTs + "\n"
                + "            updown = /usr/local/libexec/ipsec/_updown iptables\n"
                + "            esp_proposals = aes128gcm128-x25519\n         }\n      }\n"
                + "      version = 2\n      mobike = no\n      proposals = aes128-sha256-x25519\n   }\n}\n\n"
                + "secrets {\n   ike-1 {\n      id-1 = moon.strongswan.org\n      id-2 = sun.strongswan.org\n"
                + "      secret = 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL\n   }\n}\n";
    }

    /** Debian has no curve25519 plugin: openssl provides x25519 (see examples/strongswan/README.md). */
    private static final String STRONGSWAN_CONF = """
            # /etc/strongswan.conf - strongSwan configuration file

            swanctl {
              load = pem pkcs1 x509 revocation constraints pubkey openssl random
            }

            charon-systemd {
              load = random nonce aes sha1 sha2 hmac kdf pem pkcs1 x509 revocation openssl gmp kernel-netlink socket-default updown vici
            }
            """;

    private static Path scenario() throws IOException {
        Path dir = work.resolve("testing/tests/ikev2/net2net-psk");
        write(dir.resolve("description.txt"), "A connection between the subnets behind the gateways <b>moon</b>"
                + " and <b>sun</b> is set up. The authentication is based on <b>pre-shared keys</b> (PSK).\n");
        write(dir.resolve("test.conf"), """
                #!/bin/bash
                # guest instances used for this test
                VIRTHOSTS="alice moon winnetou sun bob"
                # corresponding block diagram
                DIAGRAM="a-m-w-s-b.png"
                # guest instances on which tcpdump is to be started
                TCPDUMPHOSTS="sun"
                # guest instances on which IPsec is started
                IPSECHOSTS="moon sun"
                # charon controlled by swanctl
                SWANCTL=1
                """.replace("alice moon winnetou sun bob", "alice moon sun bob"));
        for (String[] h : new String[][] {{"moon", "sun", "10.1.0.0/16", "10.2.0.0/16"}, {"sun", "moon", "10.2.0.0/16", "10.1.0.0/16"}}) {
            write(dir.resolve("hosts/" + h[0] + "/etc/swanctl/swanctl.conf"), swanctl(h[0], h[1], h[2], h[3]));
            write(dir.resolve("hosts/" + h[0] + "/etc/strongswan.conf"), STRONGSWAN_CONF);
        }
        write(dir.resolve("pretest.dat"), """
                moon::systemctl start strongswan
                sun::systemctl start strongswan
                moon::expect-connection gw-gw 20
                sun::expect-connection gw-gw 20
                moon::swanctl --initiate --child net-net 2> /dev/null
                """);
        write(dir.resolve("evaltest.dat"), """
                moon:: swanctl --list-sas --raw 2> /dev/null::gw-gw.*version=2 state=ESTABLISHED local-host=PH_IP_MOON local-port=500 local-id=moon.strongswan.org remote-host=PH_IP_SUN remote-port=500 remote-id=sun.strongswan.org initiator=yes.*encr-alg=AES_CBC encr-keysize=128 integ-alg=HMAC_SHA2_256_128 prf-alg=PRF_HMAC_SHA2_256 dh-group=CURVE_25519.*child-sas.*net-net.*state=INSTALLED mode=TUNNEL.*ESP.*encr-alg=AES_GCM_16 encr-keysize=128.*local-ts=\\[10.1.0.0/16] remote-ts=\\[10.2.0.0/16]::YES
                sun:: swanctl --list-sas --raw 2> /dev/null::gw-gw.*version=2 state=ESTABLISHED local-host=PH_IP_SUN local-port=500 local-id=sun.strongswan.org remote-host=PH_IP_MOON remote-port=500 remote-id=moon.strongswan.org.*child-sas.*net-net.*state=INSTALLED mode=TUNNEL.*ESP.*local-ts=\\[10.2.0.0/16] remote-ts=\\[10.1.0.0/16]::YES
                alice::ping -c 1 PH_IP_BOB::64 bytes from PH_IP_BOB: icmp_.eq=1::YES
                moon::cat /etc/hosts::strongswan.org::YES
                moon::ls /usr/local/libexec/ipsec/_updown::_updown::YES
                moon::swanctl --list-sas 2> /dev/null::CONNECTING::NO
                moon::swanctl --list-sas 2> /dev/null::INSTALLED, TUNNEL::1
                sun::tcpdump::PH_IP_MOON > PH_IP_SUN: ESP::YES
                sun::tcpdump::PH_IP_SUN > PH_IP_MOON: ESP::YES
                """);
        write(dir.resolve("posttest.dat"), """
                moon::swanctl --terminate --ike gw-gw 2> /dev/null
                moon::systemctl stop strongswan
                sun::systemctl stop strongswan
                """);
        return work.resolve("testing/tests/ikev2");
    }

    @Test
    public void aScenarioInTheTreesFormatRunsOnTheRecipesTestbed() throws Exception {
        prepared.forEach(System.out::println);
        assertTrue(out("dmtmoon", "cat /etc/hosts").contains("moon.strongswan.org"));
        assertTrue(out("dmtalice", "ip route").contains("default via 10.1.0.1"));
        assertTrue(out("dmtmoon", "test -x /usr/local/bin/expect-connection && readlink /usr/local/libexec/ipsec/_updown")
                .contains("/usr/lib/ipsec/_updown"));

        List<String> progress = new ArrayList<>();
        ScenarioRunnerImpl runner = new ScenarioRunnerImpl(mesh);
        RunReport report = runner.run(List.of(scenario()), new RunOptions("dmt", false, false, true), progress::add);
        progress.forEach(System.out::println);
        ScenarioResult r = report.results().get(0);
        assertEquals(String.join("\n", r.log()) + "\n" + r.failure() + "\n" + r.detail(), ScenarioResult.Verdict.PASSED, r.verdict());
        assertEquals("ikev2", r.category());
        assertEquals("net2net-psk", r.name());
        assertEquals("1 passed, 0 failed", progress.get(progress.size() - 1));
        assertTrue(String.join("\n", r.log()), r.log().contains("alice# ping -c 1 PH_IP_BOB | grep '64 bytes from 10.2.0.10: icmp_.eq=1'  [YES]  OK"));

        // the reports of a real run: JUnit XML read back, the HTML in headless Chromium
        Path xml = work.resolve("report/junit.xml");
        runner.writeJUnit(report, xml);
        org.w3c.dom.Element suite = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(xml.toFile()).getDocumentElement();
        assertEquals("1", suite.getAttribute("tests"));
        assertEquals("0", suite.getAttribute("failures"));
        assertEquals("net2net-psk", ((org.w3c.dom.Element) suite.getElementsByTagName("testcase").item(0)).getAttribute("name"));
        Path html = work.resolve("report/html");
        runner.writeHtml(report, html);
        List<String> titles = new ArrayList<>();
        assertEquals(List.of(), ReportPages.errorsOfReport(html, titles));
        assertEquals(titles.toString(), 2, titles.size());

        // the base files stay (the guests' own layer), the scenario's are gone with its template
        assertTrue(mesh.templates().isEmpty());
        assertTrue(out("dmtmoon", "cat /etc/strongswan.conf").contains("stroke vici"));
        assertFalse(mesh.exec("dmtmoon", "test -e /etc/swanctl/swanctl.conf && grep -q gw-gw /etc/swanctl/swanctl.conf", EXEC).succeeded());
        assertEquals("", out("dmtmoon", "ip xfrm state; ip xfrm policy"));
        assertEquals("", out("dmtsun", "ip xfrm state; ip xfrm policy"));
    }
}
