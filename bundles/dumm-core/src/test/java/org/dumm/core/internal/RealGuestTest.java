package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.dumm.api.CommandLine;
import org.dumm.api.ExecResult;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;
import org.dumm.api.KernelModules;
import org.dumm.api.Startup;
import org.dumm.api.Transport;
import org.dumm.nativ.net.DeviceMarker;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * What the guests themselves can do, on Debian's stock UML kernel and the busybox master, with
 * the real drivers: their kernel's modules, their own name, IPv6, a bridge inside a guest, the
 * startup's log. Names start with {@code dmr}; its own device marker, so nothing else's devices
 * are touched.
 */
public class RealGuestTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmrtest:", 3905);
    private static final Duration EXEC = Duration.ofSeconds(20);

    private MeshFixture fx;
    private MeshManager mesh;
    private Path workDir;

    @Before
    public void setUp() throws Exception {
        fx = new MeshFixture("dmr", MARKER);
        mesh = fx.mesh;
        workDir = fx.workDir;
    }

    @After
    public void tearDown() {
        fx.close();
    }

    @Test
    public void aGuestHasItsKernelsModulesItsOwnNameAndItsArgumentsWhole() throws Exception {
        mesh.createGuest(GuestDefinition.named("dmra"));
        Guest g = mesh.startGuest("dmra");
        KernelModules modules = g.modules();
        assertNotNull("Debian's linux.uml has its modules in /usr/lib/uml/modules", modules);
        assertEquals(modules.release(), out("dmra", "uname -r").trim());
        assertEquals("/usr/lib/uml/modules/" + modules.release(), modules.directory());

        String lib = "/lib/modules/" + modules.release();
        assertEquals("", out("dmra", "modprobe sch_netem && modprobe esp4 && modprobe xfrm_user && modprobe bridge"));
        String loaded = out("dmra", "cat /proc/modules");
        for (String m : List.of("sch_netem", "esp4", "xfrm_user", "bridge")) {
            assertTrue(m + " not loaded: " + loaded, loaded.contains(m + " "));
        }
        // the kernel asks for ipv6 by itself when the first IPv6 socket is made
        assertEquals("", out("dmra", "ping -6 -c 1 -W 1 ::1 >/dev/null; [ -d /proc/sys/net/ipv6 ]"));
        Path diff = workDir.resolve("guests/dmra/diff");
        assertFalse("the modules must not be copied into the diff", Files.exists(diff.resolve("lib/modules")));
        // a write in the guest lands in its diff, never in Dumm's shared layer
        Path shared = Path.of(modules.directory(), "modules.order");
        long before = Files.size(shared);
        out("dmra", "echo dmr >> " + lib + "/modules.order");
        assertEquals(before, Files.size(shared));
        assertTrue(Files.exists(diff.resolve("lib/modules/" + modules.release() + "/modules.order")));

        assertEquals("dmra\ndmra\n", out("dmra", "hostname; cat /etc/hostname"));
        assertTrue(out("dmra", "cat /etc/hosts").contains("127.0.1.1\tdmra\n"));

        assertEquals("a\nb\n", out("dmra", CommandLine.of(List.of("sh", "-c", "echo a; echo b"))));
        assertEquals("it's $HOME *\n", out("dmra", CommandLine.of(List.of("printf", "%s\\n", "it's $HOME *"))));

        Startup startup = mesh.awaitStartup("dmra", EXEC).startup();
        assertEquals(new Startup(Startup.State.DONE, 0), startup);
    }

    @Test
    public void theStartupsOutputAndStatusAreKeptInTheGuest() throws Exception {
        mesh.createGuest(GuestDefinition.named("dmrs"));
        Path script = workDir.resolve("guests/dmrs/diff/etc/dumm/startup");
        Files.createDirectories(script.getParent());
        Files.writeString(script, "echo routes set\necho oops >&2\nexit 4\n");
        mesh.startGuest("dmrs");
        assertEquals(new Startup(Startup.State.DONE, 4), mesh.awaitStartup("dmrs", EXEC).startup());
        assertEquals("routes set\noops\n", out("dmrs", "cat " + Startup.LOG));
        assertEquals("4\n", out("dmrs", "cat " + InGuest.STARTUP_STATUS));
    }

    @Test
    public void twoGuestsTalkIpv6AndGetTheirAddressesBackAfterARestart() throws Exception {
        mesh.createBridge("dmrbr6");
        mesh.createGuest(GuestDefinition.named("dmr6a"));
        mesh.createGuest(GuestDefinition.named("dmr6b"));
        mesh.addInterface("dmr6a", "eth0", "dmrbr6", null, Transport.TUNTAP);
        mesh.addAddress("dmr6a", "eth0", "fec0::1/64"); // applied at boot
        assertEquals(Map.of(), mesh.startGuests(List.of("dmr6a", "dmr6b"), line -> { }));
        mesh.addInterface("dmr6b", "eth0", "dmrbr6", null, Transport.TUNTAP);
        mesh.addAddress("dmr6b", "eth0", "fec0::2/64"); // applied live
        assertPing6("dmr6a", "fec0::2");

        mesh.stopGuest("dmr6b", Duration.ofSeconds(10));
        mesh.startGuest("dmr6b");
        assertTrue(out("dmr6b", "ip -6 addr show dev eth0").contains("fec0::2/64"));
        assertPing6("dmr6b", "fec0::1");
    }

    @Test
    public void aBridgeInsideAGuestForwardsBetweenTheOthers() throws Exception {
        for (int i = 0; i < 4; i++) {
            mesh.createBridge("dmrsw" + i);
        }
        mesh.createGuest(GuestDefinition.named("dmrsw"));
        for (int i = 0; i < 4; i++) {
            mesh.addInterface("dmrsw", "eth" + i, "dmrsw" + i, null, Transport.TUNTAP);
        }
        mesh.createGuest(GuestDefinition.named("dmrh1"));
        mesh.createGuest(GuestDefinition.named("dmrh2"));
        mesh.addInterface("dmrh1", "eth0", "dmrsw0", null, Transport.TUNTAP);
        mesh.addAddress("dmrh1", "eth0", "10.252.0.1/24");
        mesh.addInterface("dmrh2", "eth0", "dmrsw3", null, Transport.TUNTAP);
        mesh.addAddress("dmrh2", "eth0", "10.252.0.2/24");
        assertEquals(Map.of(), mesh.startGuests(List.of("dmrsw", "dmrh1", "dmrh2"), line -> { }));

        assertFalse("no path before the guest bridges its interfaces",
                mesh.exec("dmrh1", "ping -c 1 -W 1 10.252.0.2", EXEC).succeeded());
        assertEquals("", out("dmrsw", "brctl addbr br0 && for i in 0 1 2 3; do brctl addif br0 eth$i; done"
                + " && ip link set br0 up"));
        assertEquals("eth0\neth1\neth2\neth3\n", out("dmrsw", "ls /sys/class/net/br0/brif"));
        ExecResult ping = mesh.exec("dmrh1", "ping -c 3 -W 2 10.252.0.2", EXEC);
        assertTrue("ping through the guest's bridge: " + ping.stdoutText(), ping.succeeded());
    }

    /** A command's stdout; the command must succeed. */
    private String out(String guest, String command) {
        ExecResult r = mesh.exec(guest, command, EXEC);
        assertEquals("'" + command + "' in " + guest + ": " + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }

    /** Pings by IPv6; a new address is tentative for about a second (duplicate address detection). */
    private void assertPing6(String guest, String address) throws InterruptedException {
        ExecResult r = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            r = mesh.exec(guest, "ping -6 -c 1 -W 1 " + address, EXEC);
            if (r.succeeded()) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(guest + " cannot ping " + address + ": " + r.stdoutText() + r.stderrText());
    }
}
