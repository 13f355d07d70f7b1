package org.dumm.lab.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.dumm.api.Guest;
import org.dumm.api.Iface;
import org.dumm.api.Impairment;
import org.dumm.api.LinkDirection;
import org.dumm.api.Progress;
import org.dumm.lab.LabChange;
import org.dumm.lab.LabInfo;
import org.dumm.lab.LabOptions;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Dumm YAML labs on real UML guests: addresses, cable state, no prefix, reconcile of addresses
 * and impairment, and lab-export → lab-destroy → lab-apply of the export, for a YAML lab and for
 * an imported Kathará lab (with changes made by hand).
 */
public class LabYamlGuestTest {

    private LabMesh fx;
    private Path sources;

    @Before
    public void setUp() throws Exception {
        fx = new LabMesh();
        sources = Files.createDirectories(fx.workDir.resolve("sources"));
    }

    @After
    public void tearDown() {
        fx.close();
    }

    private List<String> apply(Path source) {
        return fx.labs.apply(source, LabOptions.defaults(), Progress.NONE).changes().stream().map(LabChange::toString).toList();
    }

    private Guest guest(String name) {
        return fx.mesh.guest(name).orElseThrow();
    }

    private Iface iface(String guest, String name) {
        return guest(guest).interfaces().stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
    }

    /** Devices and segments; the source differs by design after an export. */
    private static void assertSameLab(LabInfo a, LabInfo b) {
        assertEquals(a.name(), b.name());
        assertEquals(a.devices(), b.devices());
        assertEquals(a.segments(), b.segments());
    }

    @Test
    public void addresses_cable_state_no_prefix_reconcile_and_export_round_trip() throws Exception {
        Path file = sources.resolve("dmlyaml.yaml");
        String v1 = """
                name: dmlyaml
                prefix: ""
                nodes:
                  dmlya: {mem: 64m}
                  dmlyb:
                segments:
                  dmlyl:
                    - node: dmlya
                      iface: eth0
                      ipv4: 10.239.8.1/24
                      impair: {delay: 20ms}
                    - {node: dmlyb, iface: eth0, ipv4: [10.239.8.2/24], mac: "02:42:0a:ef:08:02"}
                links:
                  - segment: dmlyc
                    endpoints:
                      - {node: dmlyb, iface: eth1, ipv4: 10.239.9.2/24, carrier: false}
                """;
        Files.writeString(file, v1);
        apply(file);
        // no prefix: guests and the bridge carry the lab's own names
        assertEquals("dmlyl", iface("dmlya", "eth0").bridge());
        assertEquals("02:42:0a:ef:08:02", iface("dmlyb", "eth0").mac());
        assertTrue(Files.exists(Path.of("/sys/class/net/dmlyl/bridge")));
        String addr = fx.exec("dmlyb", "ip -4 addr show dev eth0").stdoutText();
        assertTrue(addr, addr.contains("10.239.8.2/24"));
        String eth1 = fx.exec("dmlyb", "ip link show dev eth1").stdoutText();
        assertTrue("the cable of dmlyb eth1 is cut from its first boot: " + eth1, eth1.contains("NO-CARRIER"));
        assertEquals(Impairment.parse("20ms", null, null, null, null, null, null), iface("dmlya", "eth0").link().toGuest());
        double rtt = rtt("dmlyb", "10.239.8.1");
        assertTrue("rtt " + rtt + " ms with 20 ms each way on dmlya's cable", rtt >= 38 && rtt < 200);
        LabInfo info = fx.labs.info("dmlyaml").orElseThrow();
        assertEquals(List.of("10.239.8.2/24"), info.devices().get(1).links().get(0).addresses());

        // the edit: another address for dmlyb, its old one gone, the delay lifted, the cable back
        Guest a = guest("dmlya");
        Guest b = guest("dmlyb");
        Files.writeString(file, v1.replace("ipv4: [10.239.8.2/24]", "ipv4: [10.239.8.3/24]")
                .replace("      impair: {delay: 20ms}\n", "").replace(", carrier: false", ""));
        List<String> plan = fx.labs.plan(file, LabOptions.defaults()).changes().stream().map(LabChange::toString).toList();
        assertEquals(List.of("set-link dmlya eth0 delay 20ms -> clean", "remove-address dmlyb eth0 10.239.8.2/24",
                "add-address dmlyb eth0 10.239.8.3/24", "set-link dmlyb eth1 carrier off -> clean"), plan);
        assertEquals(plan, apply(file));
        LabMesh.assertUnchanged(a, guest("dmlya"));
        LabMesh.assertUnchanged(b, guest("dmlyb"));
        addr = fx.exec("dmlyb", "ip -4 addr show dev eth0").stdoutText();
        assertTrue(addr, addr.contains("10.239.8.3/24") && !addr.contains("10.239.8.2/"));
        assertTrue(iface("dmlya", "eth0").link().isDefault());
        assertFalse(fx.exec("dmlyb", "ip link show dev eth1").stdoutText().contains("NO-CARRIER"));
        double clean = rtt("dmlyb", "10.239.8.1");
        assertTrue("rtt " + clean + " ms after the delay was lifted", clean < rtt - 15);
        assertTrue("the same file again changes nothing", apply(file).isEmpty());

        // by hand: an address and a delay; the export keeps them, and a fresh apply of it is the same lab
        fx.mesh.addAddress("dmlya", "eth0", "fd00:239::1/64");
        // a secondary of the same subnet outlives the removal of the primary (Linux would drop it)
        fx.mesh.addAddress("dmlyb", "eth0", "10.239.8.4/24");
        fx.mesh.removeAddress("dmlyb", "eth0", "10.239.8.3/24");
        addr = fx.exec("dmlyb", "ip -4 addr show dev eth0").stdoutText();
        assertTrue(addr, addr.contains("10.239.8.4/24") && !addr.contains("10.239.8.3/"));
        fx.mesh.setImpairment("dmlyb", "eth1", LinkDirection.OUT, Impairment.parse("5ms", null, "1%", null, null, null, null));
        LabInfo before = fx.labs.info("dmlyaml").orElseThrow();
        Path export = sources.resolve("export").resolve("dmlyaml.yaml");
        Files.createDirectories(export.getParent());
        String yaml = fx.labs.export("dmlyaml", export);
        assertTrue(yaml, yaml.contains("fd00:239::1/64") && yaml.contains("out: {delay: 5ms, loss: 1%}"));
        fx.labs.destroy("dmlyaml", Progress.NONE);
        assertTrue(fx.mesh.guests().isEmpty());
        assertFalse(Files.exists(Path.of("/sys/class/net/dmlyl")));
        apply(export);
        assertSameLab(before, fx.labs.info("dmlyaml").orElseThrow());
        assertEquals(Impairment.parse("5ms", null, "1%", null, null, null, null), iface("dmlyb", "eth1").link().fromGuest());
        assertTrue(fx.ping("dmlyb", "10.239.8.1"));
    }

    @Test
    public void an_imported_kathara_lab_exports_losslessly_with_changes_made_by_hand() throws Exception {
        Path dir = LabMesh.lab(sources.resolve("dmlkx"), Map.of(
                "lab.conf", "LAB_DESCRIPTION=\"export me\"\npc1[0]=\"A/02:42:0a:ef:0a:01\"\npc1[mem]=72m\n"
                        + "pc1[exec]=\"echo exec-ran >/tmp/exec.out\"\npc1[env]=\"WHO=pc1\"\npc2[0]=A\n",
                "lab.dep", "pc2: pc1\n",
                "shared.startup", "echo shared-$WHO >/tmp/shared.out\n",
                "pc1.startup", "ip addr add 10.239.10.1/24 dev eth0\n",
                "pc2.startup", "ip addr add 10.239.10.2/24 dev eth0\n",
                "pc1.shutdown", "echo bye-$WHO >/root/lab-bye\n",
                "pc1/etc/from-tree", "tree file\n"));
        fx.labs.apply(dir, LabOptions.defaults(), Progress.NONE);
        // by hand: pc2 gets a second interface on a bridge of its own
        fx.mesh.createBridge("dmlkxhand");
        fx.mesh.addInterface("dmlkx-pc2", "eth1", "dmlkxhand", null, null);
        LabInfo before = fx.labs.info("dmlkx").orElseThrow();

        Path export = sources.resolve("dmlkx.yaml");
        String yaml = fx.labs.export("dmlkx", export);
        assertTrue(yaml, yaml.contains("description: \"export me\"") && yaml.contains("image") == false);
        assertTrue(yaml, yaml.contains("startup: dmlkx/pc1.startup") && yaml.contains("depends: [pc1]"));
        fx.labs.destroy("dmlkx", Progress.NONE);
        fx.mesh.deleteBridge("dmlkxhand");
        fx.labs.apply(export, LabOptions.defaults(), Progress.NONE);
        LabInfo after = fx.labs.info("dmlkx").orElseThrow();
        // the hand-made bridge comes back as a segment of the lab, under the lab's name for it
        assertEquals(before.devices().get(0), after.devices().get(0));
        assertEquals(before.devices().get(1).links().get(0), after.devices().get(1).links().get(0));
        assertEquals("dmlkxhand", after.devices().get(1).links().get(1).cd());
        assertEquals("02:42:0a:ef:0a:01", iface("dmlkx-pc1", "eth0").mac());
        assertEquals(72, guest("dmlkx-pc1").memoryMb());
        assertEquals("tree file", fx.exec("dmlkx-pc1", "cat /etc/from-tree").stdoutText().strip());
        assertEquals("shared-pc1", fx.exec("dmlkx-pc1", "cat /tmp/shared.out").stdoutText().strip());
        assertEquals("exec-ran", fx.exec("dmlkx-pc1", "cat /tmp/exec.out").stdoutText().strip());
        assertTrue(fx.ping("dmlkx-pc2", "10.239.10.1"));
        // applied again from its export, nothing changes
        assertTrue(fx.labs.apply(export, LabOptions.defaults(), Progress.NONE).empty());
        // a graceful stop runs pc1.shutdown with the device's environment (written to its diff)
        fx.mesh.stopGuest("dmlkx-pc1", java.time.Duration.ofSeconds(20));
        assertEquals("bye-pc1", Files.readString(fx.workDir.resolve("guests/dmlkx-pc1/diff/root/lab-bye")).strip());
    }

    /** The average RTT of five pings, in ms. */
    private double rtt(String from, String to) {
        String out = fx.exec(from, "ping -c 5 -i 0.2 -W 2 " + to).stdoutText();
        String line = out.lines().filter(l -> l.contains("min/avg/max")).findFirst().orElseThrow(() -> new AssertionError(out));
        return Double.parseDouble(line.substring(line.indexOf('=') + 1).strip().split("/")[1]);
    }
}
