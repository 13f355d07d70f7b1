package org.dumm.test.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.dumm.api.Guest;
import org.dumm.api.GuestState;
import org.dumm.api.Iface;
import org.dumm.api.Transport;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Scenario directories written to disk and read back. */
public class ScenarioParserTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path scenario(String rel, String conf, String eval) throws IOException {
        Path d = tmp.getRoot().toPath().resolve(rel);
        Files.createDirectories(d);
        Files.writeString(d.resolve("test.conf"), conf);
        if (eval != null) {
            Files.writeString(d.resolve("evaltest.dat"), eval);
        }
        return d;
    }

    @Test
    public void readsAStrongSwanStyleScenario() throws IOException {
        Path d = scenario("tests/ikev2/net2net-psk", """
                #!/bin/bash
                # guests used
                VIRTHOSTS="alice moon winnetou sun bob"
                DIAGRAM="a-m-w-s-b.png"
                TCPDUMPHOSTS="sun moon:eth1"
                IPSECHOSTS="moon sun"
                SWANCTL=1
                export IPV6='0'
                """, """
                # the SAs
                moon:: swanctl --list-sas --raw 2> /dev/null::net-net.*state=ESTABLISHED::YES

                sun::ping -c 1 fec0::1::64 bytes from::1
                sun::tcpdump::IP moon > sun: ESP::NO
                """);
        Files.writeString(d.resolve("pretest.dat"), "moon::systemctl start strongswan\n#x::y\nmoon::expect-connection net-net\n");
        Files.writeString(d.resolve("description.txt"), "A <b>tunnel</b>.\n");
        Files.createDirectories(d.resolve("hosts/moon/etc/swanctl"));
        Files.writeString(d.resolve("hosts/moon/etc/swanctl/swanctl.conf"), "x");
        Files.writeString(d.resolve("hosts/moon/etc/hosts"), "y");

        List<ScenarioParser.Found> found = ScenarioParser.find(d.getParent().getParent());
        assertEquals(1, found.size());
        assertEquals("tests/ikev2", found.get(0).category());
        Scenario s = ScenarioParser.read(found.get(0));
        assertEquals("net2net-psk", s.name());
        assertEquals(List.of("alice", "moon", "winnetou", "sun", "bob"), s.conf().list("VIRTHOSTS"));
        assertEquals("0", s.conf().get("IPV6"));
        assertTrue(s.conf().flag("SWANCTL"));
        assertEquals(Map.of("sun", "eth0", "moon", "eth1"), s.captures());
        assertEquals("A <b>tunnel</b>.\n", s.description());
        assertEquals(2, s.pretest().size());
        assertEquals("expect-connection net-net", s.pretest().get(1).command());
        assertEquals(3, s.pretest().get(1).line());
        assertTrue(s.posttest().isEmpty());

        DatLine sas = s.evaltest().get(0);
        assertEquals("moon", sas.host());
        assertEquals("swanctl --list-sas --raw 2> /dev/null", sas.command());
        assertEquals("net-net.*state=ESTABLISHED", sas.pattern());
        assertTrue(sas.yes());
        assertEquals(2, sas.line());
        DatLine ping = s.evaltest().get(1);
        assertEquals("ping -c 1 fec0::1", ping.command());
        assertEquals("64 bytes from", ping.pattern());
        assertEquals(1, ping.count());
        assertTrue(s.evaltest().get(2).no());
        assertEquals(Map.of("moon", List.of("etc/hosts", "etc/swanctl/swanctl.conf")), s.hostFiles());
    }

    @Test
    public void aDirectoryOfCategoriesIsSortedAndHostsDirectoriesAreNoScenarios() throws IOException {
        scenario("t/ikev2/b", "VIRTHOSTS=moon\n", "moon::true::x::NO\n");
        scenario("t/ikev2/a", "VIRTHOSTS=moon\n", "moon::true::x::NO\n");
        scenario("t/ikev1/z", "VIRTHOSTS=moon\n", "moon::true::x::NO\n");
        scenario("t/ikev1/z/hosts/moon/etc", "VIRTHOSTS=moon\n", null);
        List<ScenarioParser.Found> found = ScenarioParser.find(tmp.getRoot().toPath().resolve("t"));
        assertEquals(List.of("t/ikev1:z", "t/ikev2:a", "t/ikev2:b"),
                found.stream().map(f -> f.category() + ":" + f.dir().getFileName()).toList());
    }

    @Test
    public void malformedLinesNameFileAndLine() throws IOException {
        Path d = scenario("bad", "VIRTHOSTS=moon\n", "# comment\nmoon::true::x::MAYBE\n");
        var e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().endsWith("evaltest.dat:2: hit must be YES, NO or a count, not 'MAYBE': moon::true::x::MAYBE"));

        Files.writeString(d.resolve("evaltest.dat"), "moon::true::x\n");
        e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().contains("evaltest.dat:1: expected host::command::pattern::hit"));

        Files.writeString(d.resolve("evaltest.dat"), "moon::true::a[b::YES\n");
        e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().contains("evaltest.dat:1: bad pattern 'a[b'"));

        Files.writeString(d.resolve("evaltest.dat"), "moon::true::x::YES\n");
        Files.writeString(d.resolve("pretest.dat"), "moon::true\nmoon true\n");
        e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().contains("pretest.dat:2: expected host::command: moon true"));

        Files.writeString(d.resolve("pretest.dat"), "Moon X::true\n");
        e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().contains("pretest.dat:1: bad host name 'Moon X'"));

        Files.delete(d.resolve("pretest.dat"));
        Files.writeString(d.resolve("test.conf"), "VIRTHOSTS=moon\nrm -rf /\n");
        e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().contains("test.conf:2: not a variable assignment: rm -rf /"));

        Files.writeString(d.resolve("test.conf"), "VIRTHOSTS=\"moon\n");
        e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().contains("test.conf:1: unclosed quote"));

        Files.writeString(d.resolve("test.conf"), "VIRTHOSTS=\"$HOSTS\"\n");
        e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().contains("test.conf:1: shell expansion is not supported"));

        Files.writeString(d.resolve("test.conf"), "IPSECHOSTS=moon\n");
        e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().contains("test.conf: VIRTHOSTS is not set"));

        Files.writeString(d.resolve("test.conf"), "VIRTHOSTS=moon\nTCPDUMPHOSTS=sun\n");
        e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().contains("TCPDUMPHOSTS host sun is not in VIRTHOSTS"));

        Files.writeString(d.resolve("test.conf"), "VIRTHOSTS=moon\n");
        Files.delete(d.resolve("evaltest.dat"));
        e = assertThrows(ScenarioFormatException.class, () -> ScenarioParser.read(ScenarioParser.find(d).get(0)));
        assertTrue(e.getMessage(), e.getMessage().endsWith("evaltest.dat: missing"));
    }

    @Test
    public void ignoredVariablesWarn() throws IOException {
        Path d = scenario("w", "VIRTHOSTS=moon\nRADIUSHOSTS=\"alice\"\n", "moon::true::x::NO\n");
        Scenario s = ScenarioParser.read(ScenarioParser.find(d).get(0));
        assertEquals(List.of("test.conf:2: RADIUSHOSTS is not supported, ignored"), s.conf().warnings());
    }

    @Test
    public void placeholdersComeFromTheGuestsAddresses() {
        Guest moon = guest("dmtmoon", List.of(
                new Iface("dmtmoon", "eth0", "t0", null, "aa:00:00:00:00:01", Transport.TUNTAP, List.of("192.168.0.1/24", "fec0::1/64")),
                new Iface("dmtmoon", "eth1", "t1", null, "aa:00:00:00:00:02", Transport.TUNTAP, List.of("10.1.0.1/16", "fec1::1/64"))));
        Guest other = guest("alice", List.of());
        Placeholders p = Placeholders.of(List.of(moon, other), "dmt");
        assertEquals("ping -c 1 192.168.0.1 10.1.0.1 [fec0::1] fec1::1/64",
                p.apply("ping -c 1 PH_IP_MOON PH_IP_MOON1 [PH_IP6_MOON] PH_IP6_MOON1/64"));
        assertEquals("no placeholder", p.apply("no placeholder"));
        var e = assertThrows(IllegalArgumentException.class, () -> p.apply("PH_IP_ALICE"));
        assertEquals("PH_IP_ALICE: no guest for host alice", e.getMessage());
        Placeholders q = Placeholders.of(List.of(moon, guest("dmtsun", List.of(new Iface("dmtsun", "eth0", "t2", null,
                "aa:00:00:00:00:03", Transport.TUNTAP, List.of("192.168.0.2/24"))))), "dmt");
        e = assertThrows(IllegalArgumentException.class, () -> q.apply("x PH_IP_SUN1"));
        assertEquals("PH_IP_SUN1: guest of sun has no second IPv4 address", e.getMessage());
        assertFalse(q.apply("PH_IP_SUN").contains("PH"));
    }

    @Test
    public void placeholdersConfFilesOverrideTheMeshNearestFirst() throws IOException {
        Path d = scenario("tests/ikev2/x", "VIRTHOSTS=moon\n", "moon::true::x::NO\n");
        Files.writeString(tmp.getRoot().toPath().resolve("tests/placeholders.conf"),
                "# the testbed's\nPH_IP_MOON=10.9.0.1\nPH_IP6_CAROL=fd00::10\n");
        Files.writeString(d.resolve("placeholders.conf"), "PH_IP_MOON = \"10.9.0.2\"\n");
        Guest moon = guest("dmtmoon", List.of(new Iface("dmtmoon", "eth0", "t0", null, "aa:00:00:00:00:01",
                Transport.TUNTAP, List.of("192.168.0.1/24", "10.1.0.1/16"))));
        Placeholders p = Placeholders.of(List.of(moon), "dmt").withFiles(d);
        assertEquals("10.9.0.2 10.1.0.1 fd00::10", p.apply("PH_IP_MOON PH_IP_MOON1 PH_IP6_CAROL"));
        Files.writeString(d.resolve("placeholders.conf"), "PH_IP_MOON=10.9.0.2\nPH_IP_SUN=sun.example\n");
        var e = assertThrows(ScenarioFormatException.class, () -> Placeholders.of(List.of(moon), "dmt").withFiles(d));
        assertEquals(d.resolve("placeholders.conf") + ":2: expected PH_IP_HOST=ADDRESS or PH_IP6_HOST=ADDRESS, not "
                + "'PH_IP_SUN=sun.example'", e.getMessage());
    }

    private static Guest guest(String name, List<Iface> ifaces) {
        return new Guest(name, GuestState.RUNNING, "uml", "/k", "m", 128, List.of(), 1, Instant.EPOCH, ifaces);
    }
}
