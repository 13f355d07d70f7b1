package org.dumm.lab.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.dumm.api.DummException;
import org.dumm.api.Impairment;
import org.dumm.api.LinkState;
import org.dumm.lab.Lab;
import org.dumm.lab.LabDevice;
import org.dumm.lab.LabLink;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Dumm's YAML lab files: every key read, the schema's and the reader's errors with their lines. */
public class LabYamlParserTest {

    private Path dir;

    @Before
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("dml-yaml");
        Files.createDirectories(dir.resolve("r1"));
        Files.writeString(dir.resolve("r1.startup"), "ip route\n");
        Files.writeString(dir.resolve("shared.startup"), "true\n");
    }

    @After
    public void tearDown() throws IOException {
        LabServiceImpl.deleteTree(dir);
    }

    private Lab parse(String yaml) throws IOException {
        Path f = dir.resolve("ospf.yaml");
        Files.writeString(f, yaml);
        return LabYamlParser.parse(f, null);
    }

    private String error(String yaml) throws IOException {
        return assertThrows(DummException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    public void every_key_of_a_full_lab() throws IOException {
        Lab lab = parse("""
                name: core
                prefix: ""
                description: "Two routers: r1 and r2"
                version: 1.0
                author: A. Teacher
                template: base
                defaults:
                  master: deb
                  mem: 128m
                shared:
                  startup: shared.startup
                nodes:
                  r1:
                    mem: 256
                    files: r1
                    startup: r1.startup
                    ipv6: true
                    exec: ip route add default via 10.0.0.2
                    sysctl: {net.ipv4.conf.all.send_redirects: 0}
                    env: {ROLE: core}
                    shell: /bin/sh
                    kernel: /usr/bin/linux.uml
                    backend: uml
                  r2:
                    depends: [r1]
                    sysctl: ["net.ipv4.ip_forward=0"]
                  pc1:
                segments:
                  lan:
                    - r1:eth0
                    - node: pc1
                      iface: eth0
                      mac: 02:42:0A:00:00:01
                      ipv4: 10.0.0.10/24
                      ipv6: [fd00::10/64, "fd00::11/64"]
                      impair: {delay: 10ms, loss: 1%}
                links:
                  - [r1:eth1, r2:eth0]
                  - segment: wan
                    endpoints:
                      - node: r2
                        iface: eth1
                        carrier: false
                        impair:
                          out: {rate: 1mbit}
                """);
        assertEquals("core", lab.name());
        assertEquals("", lab.prefix());
        assertEquals("base", lab.template());
        assertEquals(Map.of("LAB_DESCRIPTION", "Two routers: r1 and r2", "LAB_VERSION", "1.0", "LAB_AUTHOR", "A. Teacher"),
                lab.metadata());
        assertEquals(dir.resolve("shared.startup"), lab.shared().startup());
        assertEquals(List.of("r1", "r2", "pc1"), lab.devices().stream().map(LabDevice::name).toList());
        LabDevice r1 = lab.device("r1");
        assertEquals(256, r1.memoryMb());
        assertEquals("deb", r1.master());
        assertEquals(dir.resolve("r1"), r1.files().files());
        assertEquals(dir.resolve("r1.startup"), r1.files().startup());
        assertEquals(Boolean.TRUE, r1.ipv6());
        assertEquals(List.of("ip route add default via 10.0.0.2"), r1.exec());
        assertEquals(List.of("net.ipv4.conf.all.send_redirects=0"), r1.sysctls());
        assertEquals(Map.of("ROLE", "core"), r1.env());
        assertEquals("/bin/sh", r1.shell());
        assertEquals("/usr/bin/linux.uml", r1.kernel());
        assertEquals("uml", r1.backend());
        assertEquals(List.of(new LabLink(0, "lan", null), new LabLink(1, "r1_eth1__r2_eth0", null)), r1.links());
        LabDevice r2 = lab.device("r2");
        assertEquals(128, r2.memoryMb());
        assertEquals("deb", r2.master());
        assertEquals(List.of("net.ipv4.ip_forward=0"), r2.sysctls());
        assertEquals(Map.of("r2", List.of("r1")), lab.dependencies());
        LabLink wan = r2.links().get(1);
        assertEquals("wan", wan.cd());
        assertEquals(new LinkState(false, Impairment.NONE, Impairment.parse(null, null, null, null, null, null, "1mbit")),
                wan.link());
        LabLink pc1 = lab.device("pc1").links().get(0);
        assertEquals("02:42:0a:00:00:01", pc1.mac());
        assertEquals(List.of("10.0.0.10/24", "fd00::10/64", "fd00::11/64"), pc1.addresses());
        Impairment both = Impairment.parse("10ms", null, "1%", null, null, null, null);
        assertEquals(new LinkState(true, both, both), pc1.link());
        assertNull(lab.device("pc1").shell());
    }

    @Test
    public void the_name_comes_from_the_file_and_lab_yaml_from_its_directory() throws IOException {
        assertEquals("ospf", parse("nodes: {a: }\n").name());
        assertEquals("ospf", parse("nodes: {a: }\n").prefix());
        Path sub = Files.createDirectories(dir.resolve("My Lab"));
        Files.writeString(sub.resolve("lab.yaml"), "nodes: {a: }\n");
        assertEquals("my-lab", LabYamlParser.parse(LabYamlParser.inDirectory(sub), null).name());
        assertEquals("given", LabYamlParser.parse(sub.resolve("lab.yaml"), "given").name());
    }

    @Test
    public void schema_errors_name_their_line() throws IOException {
        assertEquals("ospf.yaml line 2: nodes.a.memory: unknown key (known: backend, kernel, master, image, mem, ipv6, "
                + "files, startup, shutdown, exec, sysctl, env, shell, depends)", error("nodes:\n  a:\n    memory: 1\n".replace("  a:\n    memory", "  a: {memory")
                .replace(": 1\n", ": 1}\n")));
        assertTrue(error("nodes:\n  a:\n    mem: 12x\n"), error("nodes:\n  a:\n    mem: 12x\n")
                .startsWith("ospf.yaml line 3: nodes.a.mem: '12x' does not match"));
        assertTrue(error("name: x\n"), error("name: x\n").contains("line 1: 'nodes' is missing"));
        assertTrue(error("nodes:\n  a:\nsegments:\n  A: [a-eth0]\n"), error("nodes:\n  a:\nsegments:\n  A: [a-eth0]\n")
                .startsWith("ospf.yaml line 4: segments.A[0]: 'a-eth0' does not match"));
        assertTrue(error("nodes:\n  a:\nsegments:\n  A-1: [a:eth0]\n"),
                error("nodes:\n  a:\nsegments:\n  A-1: [a:eth0]\n").startsWith("ospf.yaml line 4: segments.A-1: 'A-1' is not a valid name"));
        assertTrue(error("nodes:\n  a:\n    ipv6: maybe\n"), error("nodes:\n  a:\n    ipv6: maybe\n")
                .startsWith("ospf.yaml line 3: nodes.a.ipv6: is string, must be boolean"));
        assertTrue(error("nodes:\n  a:\n  a:\n"), error("nodes:\n  a:\n  a:\n").startsWith("ospf.yaml line 3: nodes.a: is given twice"));
        assertTrue(error("nodes: [a\n"), error("nodes: [a\n").startsWith("ospf.yaml line 2: not YAML"));
        String impair = error("nodes:\n  a:\nsegments:\n  A:\n    - node: a\n      iface: eth0\n      impair: {delay: 10}\n");
        assertTrue(impair, impair.startsWith("ospf.yaml line 7: segments.A[0].impair.delay: is integer, must be string"));
    }

    @Test
    public void reader_errors_name_their_line_and_nothing_is_half_read() throws IOException {
        assertEquals("ospf.yaml line 4: endpoint b:eth0: no node b", error("nodes:\n  a:\nsegments:\n  A: [a:eth0, b:eth0]\n"));
        assertEquals("ospf.yaml line 5: endpoint a:eth0 is already on a segment (line 4)",
                error("nodes:\n  a:\nsegments:\n  A: [a:eth0]\n  B: [a:eth0]\n"));
        assertEquals("ospf.yaml line 2: node a has eth1 without eth0 (interfaces start at eth0 without gaps)",
                error("nodes:\n  a:\nsegments:\n  A: [a:eth1]\n"));
        assertEquals("ospf.yaml line 7: MAC 02:00:00:00:00:01 of b:eth0 is also a:eth0's", error("""
                nodes: {a: , b: }
                segments:
                  A:
                    - {node: a, iface: eth0, mac: "02:00:00:00:00:01"}
                    - node: b
                      iface: eth0
                      mac: "02:00:00:00:00:01"
                """));
        assertEquals("ospf.yaml line 4: MAC 01:00:00:00:00:01 is a multicast address",
                error("nodes: {a: }\nsegments:\n  A:\n    - {node: a, iface: eth0, mac: \"01:00:00:00:00:01\"}\n"));
        assertEquals("ospf.yaml line 4: '10.0.0.300/24' is not an IPv4 address with a prefix length (10.0.0.1/24)",
                error("nodes: {a: }\nsegments:\n  A:\n    - {node: a, iface: eth0, ipv4: 10.0.0.300/24}\n"));
        assertEquals("ospf.yaml line 4: 'fd00:::1/64' is not an IPv6 address with a prefix length (fd00::1/64)",
                error("nodes: {a: }\nsegments:\n  A:\n    - {node: a, iface: eth0, ipv6: \"fd00:::1/64\"}\n"));
        assertEquals("ospf.yaml line 3: file " + dir.resolve("a.startup") + " does not exist",
                error("nodes:\n  a:\n    startup: a.startup\n"));
        assertEquals("ospf.yaml line 3: node a depends on c, which is not a node", error("nodes:\n  a:\n    depends: [c]\n"));
        assertEquals("ospf.yaml: depends: dependency cycle a -> b -> a",
                error("nodes:\n  a: {depends: [b]}\n  b: {depends: [a]}\n"));
        assertTrue(error("nodes:\n  a:\nsegments:\n  A:\n    - {node: a, iface: eth0, impair: {jitter: 2ms}}\n")
                .startsWith("ospf.yaml line 5: impair: jitter needs a delay"));
    }

    @Test
    public void the_shipped_schema_is_json_and_names_every_node_key() throws IOException {
        String schema = new LabServiceImpl(null, Map.of()).schema();
        assertTrue(schema.contains("\"$schema\": \"https://json-schema.org/draft/2020-12/schema\""));
        for (String key : List.of("backend", "kernel", "master", "image", "mem", "ipv6", "files", "startup", "shutdown",
                "exec", "sysctl", "env", "shell", "depends")) {
            assertTrue(key, schema.contains("\"" + key + "\":"));
        }
    }
}
