package org.dumm.lab.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.dumm.api.DummException;
import org.dumm.lab.Lab;
import org.dumm.lab.LabDevice;
import org.dumm.lab.LabLink;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The Netkit/Kathará reader on lab directories written to disk. */
public class LabConfParserTest {

    private Path dir;

    @Before
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("dml-parse").resolve("My Lab_1");
        Files.createDirectories(dir);
    }

    @After
    public void tearDown() throws IOException {
        try (var s = Files.walk(dir.getParent())) {
            s.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    private Lab parse(String conf) throws IOException {
        Files.writeString(dir.resolve("lab.conf"), conf);
        return LabConfParser.parse(dir, null);
    }

    private String error(String conf) throws IOException {
        Files.writeString(dir.resolve("lab.conf"), conf);
        return assertThrows(DummException.class, () -> LabConfParser.parse(dir, null)).getMessage();
    }

    @Test
    public void kathara_lab_with_macs_options_metadata_and_comments() throws IOException {
        Lab lab = parse("""
                # a comment line
                LAB_DESCRIPTION="Two routers"
                LAB_VERSION=1.0
                LAB_AUTHOR="A. Teacher"
                LAB_EMAIL=a@example.org
                LAB_WEB=http://example.org/
                LAB_NAME=routing

                r1[0]="A/02:42:ac:11:00:01"   # trailing comment
                r1[1]=B
                r1[mem]=128m
                r1[image]="kathara/frr"
                r1[ipv6]="true"
                r1[exec]="ip route"
                r1[exec]='echo done'
                r1[sysctl]="net.ipv4.conf.all.send_redirects=0"
                r1[env]="ROLE=core"
                r1[shell]="/bin/sh"
                r1[port]="3000:80"
                pc1[0]=A
                pc1[ipv6]=false
                pc1[num_terms]=2
                pc2[0]="B#1"
                """.replace("B#1", "B"));
        assertEquals("routing", lab.name());
        assertEquals("Two routers", lab.metadata().get("LAB_DESCRIPTION"));
        assertEquals("a@example.org", lab.metadata().get("LAB_EMAIL"));
        assertEquals(List.of("r1", "pc1", "pc2"), lab.devices().stream().map(LabDevice::name).toList());
        LabDevice r1 = lab.device("r1");
        assertEquals(List.of(new LabLink(0, "A", "02:42:ac:11:00:01"), new LabLink(1, "B", null)), r1.links());
        assertEquals(128, r1.memoryMb());
        assertEquals("kathara/frr", r1.image());
        assertEquals(Boolean.TRUE, r1.ipv6());
        assertEquals(List.of("ip route", "echo done"), r1.exec());
        assertEquals(List.of("net.ipv4.conf.all.send_redirects=0"), r1.sysctls());
        assertEquals(Map.of("ROLE", "core"), r1.env());
        assertEquals("/bin/sh", r1.shell());
        assertEquals(Boolean.FALSE, lab.device("pc1").ipv6());
        assertEquals(2, lab.warnings().size());
        assertTrue(lab.warnings().get(0), lab.warnings().get(0).startsWith("lab.conf line 19: option 'port' of r1"));
        assertTrue(lab.warnings().get(1), lab.warnings().get(1).startsWith("lab.conf line 22: option 'num_terms' of pc1"));
    }

    @Test
    public void netkit_machines_plain_memory_and_directory_name() throws IOException {
        Lab lab = parse("""
                machines="pc1 pc2 r1"
                pc1[0]=lan
                pc1[mem]=64
                r1[0]=lan
                """);
        assertEquals("my-lab_1", lab.name());
        assertEquals(List.of("pc1", "pc2", "r1"), lab.devices().stream().map(LabDevice::name).toList());
        assertEquals(64, lab.device("pc1").memoryMb());
        assertEquals(List.of(), lab.device("pc2").links());
        assertEquals("machines= fixes the list",
                "lab.conf line 3: device r9 is not in machines=",
                error("machines=\"pc1\"\npc1[0]=A\nr9[0]=A\n"));
    }

    @Test
    public void errors_name_the_line_or_the_device() throws IOException {
        assertEquals("lab.conf line 2: malformed line: this is not a lab line", error("pc1[0]=A\nthis is not a lab line\n"));
        assertEquals("device pc1: interface eth2 without eth1 (interfaces start at eth0 without gaps)",
                error("pc1[0]=A\npc1[2]=B\n"));
        assertTrue(error("pc1[1]=A\n").startsWith("device pc1: interface eth1 without eth0"));
        assertEquals("lab.conf line 1: collision domain 'A-B' is invalid: use letters, digits and _", error("pc1[0]=A-B\n"));
        assertTrue(error("pc1[0]=A/02:42:zz:00:00:01\n").startsWith("lab.conf line 1: '02:42:zz:00:00:01' is not a MAC"));
        assertEquals("MAC 02:42:00:00:00:01 of pc2 eth0 is also pc1 eth0",
                error("pc1[0]=A/02:42:00:00:00:01\npc2[0]=A/02:42:00:00:00:01\n"));
        assertTrue(error("\nPc1[0]=A\n").startsWith("lab.conf line 2: device name 'Pc1' is invalid"));
        assertTrue(error("pc1[mem]=lots\n").startsWith("lab.conf line 1: mem 'lots'"));
        assertTrue(error("pc1[ipv6]=maybe\n").startsWith("lab.conf line 1: ipv6 must be true or false"));
        assertTrue(error("pc1[sysctl]=kernel.panic=1\n").startsWith("lab.conf line 1: sysctl"));
        assertTrue(error("pc1[0]=A\npc1[0]=B\n").startsWith("lab.conf line 2: pc1 eth0 is given twice"));
        assertTrue(error("# only comments\n").endsWith("names no device"));
    }

    @Test
    public void lab_dep_orders_starts_and_rejects_cycles_and_unknown_devices() throws IOException {
        Files.writeString(dir.resolve("lab.dep"), "# routers first\npc1: r1 r2\nr2: r1\n");
        Lab lab = parse("r1[0]=A\nr2[0]=A\npc1[0]=A\npc2[0]=A\n");
        assertEquals(Map.of("pc1", List.of("r1", "r2"), "r2", List.of("r1")), lab.dependencies());
        assertEquals(List.of(List.of("r1", "pc2"), List.of("r2"), List.of("pc1")),
                LabDepParser.waves(List.of("r1", "r2", "pc1", "pc2"), lab.dependencies()));

        Files.writeString(dir.resolve("lab.dep"), "r1: pc1\npc1: r2\nr2: r1\n");
        assertEquals("lab.dep: dependency cycle r1 -> pc1 -> r2 -> r1", error("r1[0]=A\nr2[0]=A\npc1[0]=A\n"));
        Files.writeString(dir.resolve("lab.dep"), "r1: ghost\n");
        assertEquals("lab.dep line 1: unknown device 'ghost'", error("r1[0]=A\n"));
        Files.writeString(dir.resolve("lab.dep"), "r1 r2\n");
        assertTrue(error("r1[0]=A\nr2[0]=A\n").startsWith("lab.dep line 1: malformed line"));
    }

    @Test
    public void names_on_the_mesh_are_short_deterministic_and_per_lab() {
        assertEquals("lab1-pc1", LabNames.guest("lab1", "pc1"));
        assertEquals("lab1-lan", LabNames.segment("lab1", "lab1", "lan"));
        String a = LabNames.segment("lab1", "lab1", "A");
        assertEquals(a, LabNames.segment("lab1", "lab1", "A"));
        assertTrue(a, a.length() <= 15 && a.startsWith("lab1-"));
        String other = LabNames.segment("lab2", "lab2", "A");
        assertTrue(!other.equals(a) && other.length() <= 15);
        assertTrue(LabNames.segment("averyverylonglabname", "averyverylonglabname", "backbone").length() <= 15);
        assertThrows(DummException.class, () -> LabNames.guest("averyverylonglabname", "a_device_name_of_thirty_chars"));
    }

    @Test
    public void excluded_devices_and_their_dependencies_are_left_out() throws IOException {
        Files.writeString(dir.resolve("lab.dep"), "pc1: r1\n");
        Lab lab = LabConfParser.exclude(parse("r1[0]=A\npc1[0]=A\npc2[0]=A\n"), Set.of("r1"));
        assertEquals(List.of("pc1", "pc2"), lab.devices().stream().map(LabDevice::name).toList());
        assertEquals(Map.of("pc1", List.of()), lab.dependencies());
        assertEquals("devices left out: r1", lab.warnings().get(lab.warnings().size() - 1));
        assertEquals("--exclude r9: lab my-lab_1 has no such device", assertThrows(DummException.class,
                () -> LabConfParser.exclude(lab, Set.of("r9"))).getMessage());
    }
}
