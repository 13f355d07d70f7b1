package org.dumm.lab.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.dumm.api.DummException;
import org.dumm.api.Guest;
import org.dumm.api.Progress;
import org.dumm.lab.LabChange;
import org.dumm.lab.LabChange.Kind;
import org.dumm.lab.LabInfo;
import org.dumm.lab.LabOptions;
import org.dumm.lab.LabPlan;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Kathará-format labs applied on real UML guests (busybox master), at most five at a time. */
public class LabRealGuestTest {

    private LabMesh fx;
    private Path labs;

    @Before
    public void setUp() throws Exception {
        fx = new LabMesh();
        labs = fx.workDir.resolve("sources");
    }

    @After
    public void tearDown() {
        fx.close();
    }

    private LabPlan apply(Path dir, String name) {
        return fx.labs.apply(dir, new LabOptions(name, Map.of()), Progress.NONE);
    }

    private Guest guest(String name) {
        return fx.mesh.guest(name).orElseThrow();
    }

    @Test
    public void two_pcs_on_one_cd_with_fixed_macs_files_and_kathara_sysctls() throws Exception {
        Path dir = LabMesh.lab(labs.resolve("dmlmac"), Map.of(
                "lab.conf", "LAB_DESCRIPTION=\"two pcs\"\npc1[0]=\"A/02:42:0a:ef:00:01\"\npc2[0]=A/02:42:0a:ef:00:02\n",
                "shared.startup", "echo shared-ran >/tmp/shared.out\n",
                "pc1.startup", "ip addr add 10.239.0.1/24 dev eth0\n",
                "pc2.startup", "ip addr add 10.239.0.2/24 dev eth0\n",
                "pc1/etc/lab-file", "from pc1 dir\n",
                "shared/hello", "shared file\n"));
        LabPlan plan = apply(dir, null);
        assertTrue(plan.firstApply());
        assertEquals(List.of(Kind.ADD_SEGMENT, Kind.ADD_DEVICE, Kind.ADD_DEVICE),
                plan.changes().stream().map(LabChange::kind).toList());
        assertEquals("02:42:0a:ef:00:01", fx.exec("dmlmac-pc1", "cat /sys/class/net/eth0/address").stdoutText().strip());
        assertEquals("02:42:0a:ef:00:02", fx.exec("dmlmac-pc2", "cat /sys/class/net/eth0/address").stdoutText().strip());
        assertTrue(fx.ping("dmlmac-pc1", "10.239.0.2"));
        assertEquals("from pc1 dir", fx.exec("dmlmac-pc1", "cat /etc/lab-file").stdoutText().strip());
        assertEquals("shared file", fx.exec("dmlmac-pc2", "cat /shared/hello").stdoutText().strip());
        assertEquals("shared-ran", fx.exec("dmlmac-pc2", "cat /tmp/shared.out").stdoutText().strip());
        assertEquals("1", fx.exec("dmlmac-pc1", "cat /proc/sys/net/ipv4/ip_forward").stdoutText().strip());
        assertEquals("0", fx.exec("dmlmac-pc1", "cat /proc/sys/net/ipv4/conf/all/rp_filter").stdoutText().strip());
        assertEquals(0, fx.exec("dmlmac-pc1", "test -f " + GuestFiles.READY).exitStatus());

        LabInfo info = fx.labs.info("dmlmac").orElseThrow();
        assertEquals(List.of("running", "running"), info.devices().stream().map(LabInfo.Device::state).toList());
        assertEquals(List.of("pc1:eth0", "pc2:eth0"), info.segments().get(0).members());
        assertTrue(info.segments().get(0).bridge().length() <= 15);

        assertTrue("the same source again changes nothing", apply(dir, null).empty());
        fx.labs.destroy("dmlmac", Progress.NONE);
        assertTrue(fx.mesh.guests().isEmpty());
        assertTrue(fx.mesh.bridges().isEmpty());
        assertTrue(fx.labs.labs().isEmpty());
    }

    @Test
    public void two_routers_three_hosts_static_routes_end_to_end() throws Exception {
        Path dir = LabMesh.lab(labs.resolve("dmlrt"), Map.of(
                "lab.conf", "r1[0]=A\nr1[1]=B\nr2[0]=B\nr2[1]=C\npc1[0]=A\npc2[0]=C\npc3[0]=C\n",
                "lab.dep", "pc1: r1\npc2: r2\npc3: r2\n",
                "r1.startup", "ip addr add 10.239.1.1/24 dev eth0\nip addr add 10.239.2.1/24 dev eth1\n"
                        + "ip route add 10.239.3.0/24 via 10.239.2.2\n",
                "r2.startup", "ip addr add 10.239.2.2/24 dev eth0\nip addr add 10.239.3.1/24 dev eth1\n"
                        + "ip route add 10.239.1.0/24 via 10.239.2.1\n",
                "pc1.startup", "ip addr add 10.239.1.10/24 dev eth0\nip route add default via 10.239.1.1\n",
                "pc2.startup", "ip addr add 10.239.3.10/24 dev eth0\nip route add default via 10.239.3.1\n",
                "pc3.startup", "ip addr add 10.239.3.11/24 dev eth0\nip route add default via 10.239.3.1\n"));
        apply(dir, null);
        assertTrue("pc1 -> pc2 over two routers", fx.ping("dmlrt-pc1", "10.239.3.10"));
        assertTrue("pc3 -> pc1 over two routers", fx.ping("dmlrt-pc3", "10.239.1.10"));
        assertTrue("pc2 -> pc3 on their own CD", fx.ping("dmlrt-pc2", "10.239.3.11"));
        String trace = fx.exec("dmlrt-pc1", "traceroute -n -w 2 -q 1 10.239.3.10").stdoutText();
        List<String> hops = trace.lines().filter(l -> l.matches("\\s*\\d+\\s+.*")).map(l -> l.strip().split("\\s+")[1]).toList();
        assertEquals(trace, List.of("10.239.1.1", "10.239.2.2", "10.239.3.10"), hops);
        String back = fx.exec("dmlrt-pc3", "traceroute -n -w 2 -q 1 10.239.1.10").stdoutText();
        hops = back.lines().filter(l -> l.matches("\\s*\\d+\\s+.*")).map(l -> l.strip().split("\\s+")[1]).toList();
        assertEquals(back, List.of("10.239.3.1", "10.239.2.1", "10.239.1.10"), hops);
    }

    @Test
    public void reconcile_applies_exactly_the_edit_live_and_survives_a_restart() throws Exception {
        Path dir = LabMesh.lab(labs.resolve("dmlrec"), Map.of(
                "lab.conf", "pc1[0]=A\npc1[1]=B\npc2[0]=A\n",
                "pc1.startup", "ip addr add 10.239.4.1/24 dev eth0\nip addr add 10.239.5.1/24 dev eth1\n",
                "pc2.startup", "ip addr add 10.239.5.2/24 dev eth0\n",
                "pc3.startup", "ip addr add 10.239.5.3/24 dev eth0\n"));
        apply(dir, null);
        LabInfo first = fx.labs.info("dmlrec").orElseThrow();
        String bridgeA = first.segments().get(0).bridge();
        String bridgeB = first.segments().get(1).bridge();
        assertEquals(bridgeA, guest("dmlrec-pc2").interfaces().get(0).bridge());
        Guest pc1 = guest("dmlrec-pc1");
        Guest pc2 = guest("dmlrec-pc2");

        // The edit: pc3 is new, pc2's eth0 moves from A to B.
        Files.writeString(dir.resolve("lab.conf"), "pc1[0]=A\npc1[1]=B\npc2[0]=B\npc3[0]=B\n");
        LabPlan dry = fx.labs.plan(dir, LabOptions.defaults());
        assertEquals(List.of("add-device pc3 (guest dmlrec-pc3, 1 interface)", "move-link pc2 eth0 A -> B"),
                dry.changes().stream().map(LabChange::toString).toList());
        assertEquals("a plan changes nothing", Set.of("dmlrec-pc1", "dmlrec-pc2"),
                Set.copyOf(fx.mesh.guests().stream().map(Guest::name).toList()));
        assertEquals(dry.changes(), apply(dir, null).changes());
        LabMesh.assertUnchanged(pc1, guest("dmlrec-pc1"));
        LabMesh.assertUnchanged(pc2, guest("dmlrec-pc2"));
        assertEquals(bridgeB, guest("dmlrec-pc2").interfaces().get(0).bridge());
        assertTrue("pc2 now on B", fx.ping("dmlrec-pc2", "10.239.5.1"));
        assertTrue("pc3 on B", fx.ping("dmlrec-pc3", "10.239.5.2"));
        assertTrue(apply(dir, null).empty());

        // Karaf restart: the remembered lab is the same.
        LabInfo before = fx.labs.info("dmlrec").orElseThrow();
        fx.restart();
        assertEquals(before, fx.labs.info("dmlrec").orElseThrow());
        // the restarted mesh reads a guest's start time from its process: compare from here on
        assertEquals(pc1.pid(), guest("dmlrec-pc1").pid());
        pc1 = guest("dmlrec-pc1");
        pc2 = guest("dmlrec-pc2");

        // Removing a link and a device: pc1 loses eth1, pc3 goes.
        Files.writeString(dir.resolve("lab.conf"), "pc1[0]=A\npc2[0]=B\n");
        assertEquals(List.of("remove-link pc1 eth1 B", "remove-device pc3 (guest dmlrec-pc3)"),
                apply(dir, null).changes().stream().map(LabChange::toString).toList());
        assertFalse(fx.mesh.guest("dmlrec-pc3").isPresent());
        assertEquals(1, guest("dmlrec-pc1").interfaces().size());
        LabMesh.assertUnchanged(pc1, guest("dmlrec-pc1"));

        // A device whose own option changed is restarted alone.
        Files.writeString(dir.resolve("lab.conf"), "pc1[0]=A\npc2[0]=B\npc2[mem]=80m\n");
        assertEquals(List.of(Kind.RESTART_DEVICE), apply(dir, null).changes().stream().map(LabChange::kind).toList());
        assertEquals(80, guest("dmlrec-pc2").memoryMb());
        assertNotEquals(pc2.pid(), guest("dmlrec-pc2").pid());
        LabMesh.assertUnchanged(pc1, guest("dmlrec-pc1"));
    }

    @Test
    public void two_labs_with_the_same_device_and_cd_names_side_by_side() throws Exception {
        Path dir = LabMesh.lab(labs.resolve("same"), Map.of(
                "lab.conf", "pc1[0]=A\npc2[0]=A\n",
                "pc1.startup", "ip addr add 10.239.6.1/24 dev eth0\n",
                "pc2.startup", "ip addr add 10.239.6.2/24 dev eth0\n"));
        apply(dir, "dmlx");
        apply(dir, "dmly");
        assertEquals(4, fx.mesh.guests().size());
        assertEquals(2, fx.mesh.bridges().size());
        assertTrue(fx.ping("dmlx-pc1", "10.239.6.2"));
        assertTrue(fx.ping("dmly-pc1", "10.239.6.2"));
        // each lab sees only its own pc2: the same address answers from a different MAC
        String macX = fx.exec("dmlx-pc2", "cat /sys/class/net/eth0/address").stdoutText().strip();
        String arpX = fx.exec("dmlx-pc1", "cat /proc/net/arp").stdoutText();
        assertTrue(arpX, arpX.contains(macX));
        assertFalse(arpX, arpX.contains(fx.exec("dmly-pc2", "cat /sys/class/net/eth0/address").stdoutText().strip()));
        assertEquals(List.of("dmlx", "dmly"), fx.labs.labs().stream().map(LabInfo::name).toList());

        // a failing apply leaves the mesh as it was: a third lab whose guest name is taken
        fx.mesh.createGuest(org.dumm.api.GuestDefinition.named("dmlz-pc2"));
        DummException e = org.junit.Assert.assertThrows(DummException.class, () -> apply(dir, "dmlz"));
        assertTrue(e.getMessage(), e.getMessage().contains("dmlz-pc2 exists already"));
        assertFalse(fx.mesh.guest("dmlz-pc1").isPresent());
        assertEquals(2, fx.mesh.bridges().size());
        fx.mesh.deleteGuest("dmlz-pc2", true);

        fx.labs.destroy(dir.toString(), Progress.NONE);
        assertEquals("destroy by path takes the first lab of that source", 2, fx.mesh.guests().size());
        fx.labs.destroy("dmly", Progress.NONE);
        assertTrue(fx.mesh.guests().isEmpty());
    }

    @Test
    public void a_failing_reapply_leaves_the_mesh_and_the_remembered_lab_as_they_were() throws Exception {
        Path dir = LabMesh.lab(labs.resolve("dmlrb"), Map.of("lab.conf", "pc1[0]=A\n"));
        apply(dir, null);
        Guest pc1 = guest("dmlrb-pc1");
        LabInfo before = fx.labs.info("dmlrb").orElseThrow();
        // pc3 (on a new CD, hot-plugged link for pc1 too) would be made, then pc4 fails: its guest name is taken
        Files.writeString(dir.resolve("lab.conf"), "pc1[0]=A\npc1[1]=C\npc3[0]=C\npc4[0]=A\n");
        fx.mesh.createGuest(org.dumm.api.GuestDefinition.named("dmlrb-pc4"));
        List<LabChange> planned = fx.labs.plan(dir, LabOptions.defaults()).changes();
        DummException e = org.junit.Assert.assertThrows(DummException.class, () -> apply(dir, null));
        assertTrue(e.getMessage(), e.getMessage().contains("dmlrb-pc4"));
        assertEquals(Set.of("dmlrb-pc1", "dmlrb-pc4"), Set.copyOf(fx.mesh.guests().stream().map(Guest::name).toList()));
        assertEquals(1, fx.mesh.bridges().size());
        assertEquals(1, guest("dmlrb-pc1").interfaces().size());
        LabMesh.assertUnchanged(pc1, guest("dmlrb-pc1"));
        assertEquals(before, fx.labs.info("dmlrb").orElseThrow());
        assertEquals("the remembered state did not move", planned, fx.labs.plan(dir, LabOptions.defaults()).changes());

        fx.mesh.deleteGuest("dmlrb-pc4", true);
        apply(dir, null);
        assertEquals(2, guest("dmlrb-pc1").interfaces().size());
        assertTrue(fx.ping("dmlrb-pc3", "127.0.0.1"));
        LabMesh.assertUnchanged(pc1, guest("dmlrb-pc1"));
    }

    @Test
    public void device_files_served_by_a_web_server_from_the_startup_and_exec_env_sysctl_options() throws Exception {
        Path dir = LabMesh.lab(labs.resolve("dmlweb"), Map.of(
                "lab.conf", "web[0]=lan\nweb[env]=GREETING=hello-from-env\nweb[exec]=\"echo $GREETING >/tmp/exec.out\"\n"
                        + "web[sysctl]=net.ipv4.conf.all.send_redirects=0\npc[0]=lan\npc[exec]=ip route add 10.239.99.0/24 dev eth0\n",
                "web/var/www/index.html", "<h1>dumm lab page</h1>\n",
                "web.startup", "ip addr add 10.239.7.1/24 dev eth0\nhttpd -p 80 -h /var/www\n",
                "pc.startup", "ip addr add 10.239.7.2/24 dev eth0\n"));
        apply(dir, null);
        assertEquals("<h1>dumm lab page</h1>", fx.exec("dmlweb-pc", "wget -q -O - http://10.239.7.1/index.html").stdoutText().strip());
        assertEquals("hello-from-env", fx.exec("dmlweb-web", "cat /tmp/exec.out").stdoutText().strip());
        assertEquals("0", fx.exec("dmlweb-web", "cat /proc/sys/net/ipv4/conf/all/send_redirects").stdoutText().strip());
        assertTrue("the exec option ran after the startup file",
                fx.exec("dmlweb-pc", "ip route").stdoutText().contains("10.239.99.0/24 dev eth0"));
    }

    @Test
    public void a_device_bridging_four_interfaces_and_routes_added_at_run_time() throws Exception {
        Path dir = LabMesh.lab(labs.resolve("dmlbr"), Map.of(
                "lab.conf", "sw[0]=A\nsw[1]=B\nsw[2]=C\nsw[3]=D\npc1[0]=A\npc2[0]=D\n",
                "sw.startup", "brctl addbr br0\nfor i in 0 1 2 3; do brctl addif br0 eth$i; done\nip link set br0 up\n",
                "pc1.startup", "ip addr add 10.239.8.1/24 dev eth0\n# ip route add 10.239.9.0/24 via 10.239.8.2\n",
                "pc2.startup", "ip addr add 10.239.8.2/24 dev eth0\nip addr add 10.239.9.2/24 dev eth0\n"));
        apply(dir, null);
        assertEquals(fx.exec("dmlbr-sw", "cat /var/log/startup.log").stdoutText(), "4",
                fx.exec("dmlbr-sw", "ls /sys/class/net/br0/brif | wc -l").stdoutText().strip());
        assertTrue("pc1 on A reaches pc2 on D through the bridge in sw", fx.ping("dmlbr-pc1", "10.239.8.2"));
        assertFalse("the route is commented out", fx.ping("dmlbr-pc1", "10.239.9.2"));
        assertEquals(0, fx.exec("dmlbr-pc1", "ip route add 10.239.9.0/24 via 10.239.8.2").exitStatus());
        assertTrue("route added at run time", fx.ping("dmlbr-pc1", "10.239.9.2"));
    }
}
