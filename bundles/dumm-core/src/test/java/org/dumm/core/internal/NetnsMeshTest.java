package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.dumm.api.ConsoleSession;
import org.dumm.api.ExecResult;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;
import org.dumm.api.GuestState;
import org.dumm.api.Iface;
import org.dumm.api.Transport;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.netns.internal.NetnsBackend;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The netns backend in a real mesh beside the UML backend: a UML guest and a netns guest on one
 * bridge ping each other, exec, hot-plug, pause, a kill -9 seen as a crash, and deletes that leave
 * no veth, cgroup, mount or process. Names start with {@code dmn}; its own device marker.
 */
public class NetnsMeshTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmntest:", 3941);
    private static final Duration EXEC = Duration.ofSeconds(20);

    private MeshFixture fx;
    private MeshManager mesh;
    private NetnsBackend netns;

    @Before
    public void setUp() throws Exception {
        fx = new MeshFixture("dmn", MARKER);
        netns = new NetnsBackend(fx.veths);
        fx.restartWith(netns);
        mesh = fx.mesh;
    }

    @After
    public void tearDown() {
        try {
            fx.close();
        } finally {
            netns.deactivate();
        }
    }

    private String out(String guest, String cmd) {
        ExecResult r = mesh.exec(guest, cmd, EXEC);
        assertEquals(guest + ": " + cmd + ": " + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }

    private static GuestDefinition netnsGuest(String name) {
        return new GuestDefinition(name, NetnsBackend.NAME, null, null, 32, List.of());
    }

    @Test
    public void aUmlAndANetnsGuestOnOneBridgePingEachOther() throws Exception {
        mesh.createBridge("dmnbr");
        mesh.createGuest(GuestDefinition.named("dmnu"));
        mesh.createGuest(netnsGuest("dmnn"));
        mesh.addInterface("dmnu", "eth0", "dmnbr", null, Transport.TUNTAP);
        Iface n0 = mesh.addInterface("dmnn", "eth0", "dmnbr", null, Transport.TUNTAP);
        mesh.addAddress("dmnu", "eth0", "10.94.1.1/24");
        mesh.addAddress("dmnn", "eth0", "10.94.1.2/24");
        Guest n = mesh.startGuest("dmnn");
        assertEquals(GuestState.RUNNING, n.state());
        mesh.startGuest("dmnu");

        // a guest of its own: name, pid 1 = the agent, its own network devices with Dumm's MAC
        assertEquals("dmnn\n", out("dmnn", "hostname"));
        assertTrue(out("dmnn", "cat /proc/1/cmdline").startsWith("dumm-agent"));
        assertEquals(n0.mac() + "\n", out("dmnn", "cat /sys/class/net/eth0/address"));
        assertTrue(out("dmnn", "ls /sys/class/net").contains("eth0"));
        assertFalse(Files.exists(Path.of("/sys/class/net/" + VethName.peer(n0.tap()))));

        assertEquals("", out("dmnn", "ping -c 2 -W 3 10.94.1.1 >/dev/null"));
        assertEquals("", out("dmnu", "ping -c 2 -W 3 10.94.1.2 >/dev/null"));

        // hot plug and unplug while it runs
        Iface n1 = mesh.addInterface("dmnn", "eth1", "dmnbr", null, Transport.TUNTAP);
        assertEquals(n1.mac() + "\n", out("dmnn", "cat /sys/class/net/eth1/address"));
        assertTrue(fx.veths.listOwned().contains(n1.tap()));
        mesh.removeInterface("dmnn", "eth1");
        assertFalse(out("dmnn", "ls /sys/class/net").contains("eth1"));
        assertFalse(fx.veths.exists(n1.tap()));

        // pause freezes it, resume thaws it
        mesh.pauseGuest("dmnn");
        assertEquals("1", Files.readString(cgroup("dmnn").resolve("cgroup.freeze")).trim());
        mesh.resumeGuest("dmnn");
        assertEquals("", out("dmnn", "ping -c 1 -W 3 10.94.1.1 >/dev/null"));

        long pid = mesh.guest("dmnn").orElseThrow().pid();
        mesh.deleteGuest("dmnn", true);
        assertGone("dmnn", pid, n0.tap());
    }

    /** What a console printed, read by a thread of its own until the session closes. */
    private static StringBuffer reading(ConsoleSession c) {
        StringBuffer seen = new StringBuffer();
        Thread t = new Thread(() -> {
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = c.output().read(buf)) > 0; ) {
                    String chunk = new String(buf, 0, n, StandardCharsets.UTF_8);
                    seen.append(chunk);
                    if (chunk.contains("\u001b[6n")) {
                        // the shell's line editor asks where the cursor is, as a terminal would answer
                        c.input().write("\u001b[24;1R".getBytes(StandardCharsets.UTF_8));
                        c.input().flush();
                    }
                }
            } catch (java.io.IOException e) {
                // closed
            }
        }, "dmn-console-reader");
        t.setDaemon(true);
        t.start();
        return seen;
    }

    /**
     * Types {@code line} and waits for {@code marker} in what the console printed, typing it again
     * (it must be harmless to repeat) when it did not show within 5 s: busybox's line editor asks
     * the terminal for the cursor position after each prompt and may take a line typed just
     * then for the answer, as it would with a fast typist on a real terminal.
     */
    private static String typeAndAwait(ConsoleSession c, StringBuffer seen, String line, String marker) throws Exception {
        for (int attempt = 0; attempt < 4; attempt++) {
            int from = seen.length();
            c.input().write(line.getBytes(StandardCharsets.UTF_8));
            c.input().flush();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!seen.substring(from).contains(marker) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            // then until the console is quiet for half a second (the prompt and its query are out)
            int length = -1;
            while (seen.length() != length && System.nanoTime() < deadline + 2_000_000_000L) {
                length = seen.length();
                Thread.sleep(500);
            }
            if (seen.substring(from).contains(marker)) {
                break;
            }
        }
        return seen.toString();
    }

    @Test(timeout = 90_000)
    public void aNetnsGuestsConsoleRunsAShellThatOutlivesADetach() throws Exception {
        mesh.createGuest(netnsGuest("dmnc"));
        mesh.startGuest("dmnc");
        try (ConsoleSession c = mesh.console("dmnc")) {
            assertTrue(c.device(), c.device().matches("/proc/[0-9]+/root/dev/pts/[0-9]+"));
            StringBuffer seen = reading(c);
            String prompt = typeAndAwait(c, seen, "\n", "# ");
            assertTrue(prompt, prompt.contains("# "));
            String out = typeAndAwait(c, seen, "X=7; echo dmn-$((6*X))\n", "dmn-42");
            assertTrue(out, out.contains("dmn-42"));
        }
        // detached and attached again: the same shell, its variable still set
        try (ConsoleSession c = mesh.console("dmnc")) {
            StringBuffer seen = reading(c);
            String prompt = typeAndAwait(c, seen, "\n", "# ");
            assertTrue(prompt, prompt.contains("# "));
            String out = typeAndAwait(c, seen, "echo again-$((X+1))\n", "again-8");
            assertTrue(out, out.contains("again-8"));
            // a resize (TIOCSWINSZ on the pty's master) is what the guest's shell sees
            c.resize(33, 97);
            String size = typeAndAwait(c, seen, "echo size-$(stty size | tr ' ' x)\n", "size-33x97");
            assertTrue(size, size.contains("size-33x97"));
        }
        // exec is not disturbed by the console, and the console is not a command's terminal
        assertEquals("dmnc\n", out("dmnc", "hostname"));
        long pid = mesh.guest("dmnc").orElseThrow().pid();
        mesh.deleteGuest("dmnc", true);
        for (int i = 0; i < 100 && running(pid); i++) {
            Thread.sleep(20);
        }
        assertFalse("process " + pid + " left", running(pid));
        assertFalse("mount left", Files.readString(Path.of("/proc/self/mounts"))
                .contains(fx.workDir.resolve("guests/dmnc").toString()));
    }

    @Test
    public void aTemplateLoadedAndUnloadedWhileItRunsReachesANetnsGuest() throws Exception {
        mesh.createGuest(netnsGuest("dmnt"));
        long pid = mesh.startGuest("dmnt").pid();
        out("dmnt", "echo own > /root/own");
        // a process started before the switch, working in / (it moves along) and one below it (it stays)
        out("dmnt", "cd / && (sleep 300 >/dev/null 2>&1 &) ; cd /root && (sleep 301 >/dev/null 2>&1 &)");
        mesh.createTemplate("dmntpl");
        mesh.loadTemplate("dmntpl");

        out("dmnt", "echo scenario > /root/scenario");
        assertEquals("own\n", out("dmnt", "cat /root/own"));
        Path layer = fx.workDir.resolve("templates/dmntpl/dmnt");
        Path diff = fx.workDir.resolve("guests/dmnt/diff");
        assertEquals("scenario\n", Files.readString(layer.resolve("root/scenario")));
        assertFalse("written into the template, not the diff", Files.exists(diff.resolve("root/scenario")));
        // editable from the host while it runs, as for UML guests
        Files.writeString(layer.resolve("root/from-host"), "host\n");
        assertEquals("host\n", out("dmnt", "cat /root/from-host"));
        assertOneRootAndItsOwnMounts("dmnt");
        String procs = out("dmnt", "ps -o args 2>/dev/null || ps");
        assertTrue(procs, procs.contains("sleep 300") && procs.contains("sleep 301"));
        assertTrue("the process in / moved to the new root", rootOf("sleep 300", pid).equals(rootOf(null, pid)));

        // paused: frozen processes are moved too, and run on the new root once resumed
        mesh.pauseGuest("dmnt");
        mesh.unloadTemplate();
        mesh.resumeGuest("dmnt");
        assertEquals("gone\n", out("dmnt", "test -e /root/scenario && echo kept || echo gone"));
        assertEquals("own\n", out("dmnt", "cat /root/own"));
        assertTrue(Files.exists(layer.resolve("root/scenario")));
        assertOneRootAndItsOwnMounts("dmnt");

        mesh.loadTemplate("dmntpl");
        assertEquals("scenario\n", out("dmnt", "cat /root/scenario"));
        mesh.unloadTemplate();
        assertEquals("dmnt\n", out("dmnt", "hostname"));
        mesh.deleteGuest("dmnt", true);
        assertFalse("no old root left mounted on the host",
                Files.readString(Path.of("/proc/self/mountinfo")).contains(fx.workDir.resolve("guests/dmnt").toString()));
    }

    /** One mount at /, and /proc, /sys, /dev once each: switches stack nothing up. */
    private void assertOneRootAndItsOwnMounts(String guest) {
        String info = out(guest, "cat /proc/self/mountinfo");
        for (String at : List.of("/", "/proc", "/sys", "/dev", "/dev/pts")) {
            long n = info.lines().filter(l -> l.split(" ")[4].equals(at)).count();
            assertEquals(info, 1, n);
        }
    }

    /**
     * The root (as /proc/PID/root's mount id, from the host) of the guest's process whose command
     * line contains {@code cmd}, or of its first process for null.
     */
    private static String rootOf(String cmd, long firstPid) throws Exception {
        long pid = firstPid;
        if (cmd != null) {
            pid = -1;
            String ns = Files.readSymbolicLink(Path.of("/proc/" + firstPid + "/ns/pid")).toString();
            try (var procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        String line = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
                        if (line.contains(cmd) && Files.readSymbolicLink(p.resolve("ns/pid")).toString().equals(ns)) {
                            pid = Long.parseLong(p.getFileName().toString());
                        }
                    } catch (java.io.IOException e) {
                        // gone meanwhile
                    }
                }
            }
            assertTrue("no process '" + cmd + "'", pid > 0);
        }
        // the mount of "/" as that process sees it: field 1 of the line whose mount point is /
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/mountinfo"))) {
            String[] f = l.split(" ");
            if (f[4].equals("/")) {
                return f[0];
            }
        }
        return "";
    }

    @Test
    public void aKilledFirstProcessIsACrashAndADeleteLeavesNothing() throws Exception {
        mesh.createBridge("dmnbr");
        mesh.createGuest(netnsGuest("dmnk"));
        Iface i = mesh.addInterface("dmnk", "eth0", "dmnbr", null, Transport.TUNTAP);
        long pid = mesh.startGuest("dmnk").pid();
        String mnt = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/mnt")).toString();
        long t0 = System.nanoTime();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        while (mesh.guest("dmnk").orElseThrow().state() != GuestState.CRASHED) {
            assertTrue("not crashed after 2 s", System.nanoTime() - t0 < 2_000_000_000L);
            Thread.sleep(20);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue("crash seen after " + ms + " ms", ms < 1_500);
        assertFalse("the veth went with the namespace", fx.veths.exists(i.tap()));
        // kernel arguments cannot apply to a guest on the host's kernel: refused, nothing left
        mesh.createGuest(new GuestDefinition("dmnx", NetnsBackend.NAME, null, null, 32, List.of("quiet")));
        try {
            mesh.startGuest("dmnx");
            org.junit.Assert.fail("kernel arguments on a netns guest");
        } catch (org.dumm.api.DummException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("host's kernel"));
        }
        assertEquals(GuestState.STOPPED, mesh.guest("dmnx").orElseThrow().state());
        assertFalse(Files.readString(Path.of("/proc/self/mounts")).contains(fx.workDir.resolve("guests/dmnx").toString()));
        mesh.deleteGuest("dmnx", true);

        // started again after the crash, then deleted
        long pid2 = mesh.startGuest("dmnk").pid();
        assertEquals("dmnk\n", out("dmnk", "hostname"));
        mesh.deleteGuest("dmnk", true);
        assertGone("dmnk", pid2, i.tap());
        assertNoProcessIn(mnt);
    }

    @Test
    public void aRunningNetnsGuestOutlivesItsBackendAndTheMeshAndIsAdoptedAgain() throws Exception {
        mesh.createBridge("dmnbr");
        mesh.createGuest(netnsGuest("dmna"));
        Iface i = mesh.addInterface("dmna", "eth0", "dmnbr", null, Transport.TUNTAP);
        mesh.addAddress("dmna", "eth0", "10.94.2.1/24");
        long pid = mesh.startGuest("dmna").pid();
        out("dmna", "echo kept > /root/mark");

        // the backend goes (feature:uninstall): the guest keeps running and keeps its link
        mesh.removeBackend(netns);
        netns.deactivate();
        assertEquals(GuestState.UNAVAILABLE, mesh.guest("dmna").orElseThrow().state());
        assertTrue(running(pid));
        assertTrue(fx.veths.exists(i.tap()));
        try {
            mesh.createGuest(netnsGuest("dmnb"));
            org.junit.Assert.fail("no netns backend");
        } catch (org.dumm.api.DummException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("feature:install dumm-backend-netns"));
        }

        // it comes back (feature:install): adopted, exec works
        netns = new NetnsBackend(fx.veths);
        mesh.addBackend(netns);
        Guest g = mesh.guest("dmna").orElseThrow();
        assertEquals(GuestState.RUNNING, g.state());
        assertEquals(pid, g.pid());
        assertEquals("kept\n", out("dmna", "cat /root/mark"));

        // a restart of the mesh (Karaf) adopts it too
        fx.mesh.deactivate();
        netns.deactivate();
        netns = new NetnsBackend(fx.veths);
        fx.moreBackends = List.of(netns);
        fx.mesh = fx.newMesh();
        mesh = fx.mesh;
        assertEquals(GuestState.RUNNING, mesh.guest("dmna").orElseThrow().state());
        assertEquals("dmna\n", out("dmna", "hostname"));
        assertTrue(out("dmna", "ip -o addr show eth0").contains("10.94.2.1/24"));

        // and a kill -9 after the adoption is still seen
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        long t0 = System.nanoTime();
        while (mesh.guest("dmna").orElseThrow().state() != GuestState.CRASHED) {
            assertTrue("not crashed after 2 s", System.nanoTime() - t0 < 2_000_000_000L);
            Thread.sleep(20);
        }
        mesh.deleteGuest("dmna", true);
        assertGone("dmna", pid, i.tap());
    }

    private Path cgroup(String guest) {
        return netns.cgroupDirFor(fx.workDir, guest);
    }

    private void assertGone(String guest, long pid, String tap) throws Exception {
        // the host's init reaps the ended first process (a zombie until then) in its own time
        for (int i = 0; i < 100 && running(pid); i++) {
            Thread.sleep(20);
        }
        assertFalse("process " + pid + " left", running(pid));
        assertFalse("veth left", fx.veths.exists(tap));
        assertFalse("peer left", fx.veths.exists(VethName.peer(tap)));
        assertFalse("cgroup left", Files.exists(cgroup(guest)));
        assertFalse("instance cgroup left", Files.exists(cgroup(guest).getParent()));
        String mounts = Files.readString(Path.of("/proc/self/mounts"));
        assertFalse("mount left", mounts.contains(fx.workDir.resolve("guests/" + guest).toString()));
    }

    /** True while process {@code pid} exists and is not a zombie. */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** No process on the host is in mount namespace {@code mnt} any more. */
    private static void assertNoProcessIn(String mnt) throws Exception {
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    assertFalse("process " + p + " still in " + mnt,
                            Files.readSymbolicLink(p.resolve("ns/mnt")).toString().equals(mnt));
                } catch (java.io.IOException e) {
                    // gone meanwhile
                }
            }
        }
    }

    /** The peer name the veth driver uses. */
    private static final class VethName {
        static String peer(String tap) {
            return org.dumm.api.spi.VethDriver.peerName(tap);
        }
    }
}
