package org.dumm.uml.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.Transport;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.GuestSpec;
import org.dumm.api.spi.InterfaceSpec;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.Native;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

/** Starting, stopping, crashing, re-attaching and failing to boot, each on a fresh guest. */
public class UmlLifecycleTest {

    private static final String GUEST = "dmvlife";
    private static Path scratch;
    private static Path layer;
    private static Path master;

    private final List<UmlBackend> backends = new ArrayList<>();
    private final List<String> taps = new ArrayList<>();
    private Fixtures.Union union;
    private Path runDir;

    @BeforeClass
    public static void buildMaster() throws Exception {
        scratch = Fixtures.scratch();
        layer = new UmlBackend().bootLayer(scratch.resolve("work"));
        master = Fixtures.busyboxMaster(scratch.resolve("master"));
    }

    @AfterClass
    public static void removeMaster() {
        BootLayer.deleteTree(scratch);
    }

    @Test
    public void bootLayerPreparedFromManyThreadsAtOnceIsOneLayer() throws Exception {
        Path work = scratch.resolve("work-concurrent");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return new UmlBackend().bootLayer(work);
                }));
            }
            go.countDown();
            Set<Path> layers = new HashSet<>();
            for (Future<Path> f : results) {
                layers.add(f.get());
            }
            assertEquals(1, layers.size());
            assertTrue(Files.isExecutable(layers.iterator().next().resolve(BootLayer.INIT.substring(1))));
            try (var entries = Files.list(work.resolve("uml"))) {
                assertEquals("no half-made layers left", List.of(layers.iterator().next()), entries.toList());
            }
        } finally {
            pool.shutdownNow();
            BootLayer.deleteTree(work);
        }
    }

    @Before
    public void freshRoot() throws Exception {
        union = new Fixtures.Union(scratch.resolve("g"), layer, master);
        runDir = scratch.resolve("g-run");
    }

    @After
    public void cleanUp() throws Exception {
        for (UmlBackend b : backends) {
            for (UmlGuest g : b.guests()) {
                g.kill();
            }
            b.deactivate();
        }
        Fixtures.killLeftovers(GUEST);
        List<Integer> left = Fixtures.awaitNoProcesses(GUEST, 5000);
        union.close();
        for (String t : taps) {
            Fixtures.deleteTap(t);
        }
        BootLayer.deleteTree(runDir);
        assertEquals("processes left behind", List.of(), left);
    }

    private UmlBackend backend() {
        UmlBackend b = new UmlBackend();
        backends.add(b);
        return b;
    }

    private GuestSpec spec(InterfaceSpec... ifaces) {
        return Fixtures.spec(GUEST, union.root, runDir, ifaces);
    }

    @Test
    public void theSecondBootReusesTheDelayLoopCalibrationOfTheFirst() throws Exception {
        UmlBackend b = backend();
        GuestSpec s = spec();
        assertEquals(null, b.calibration(s.kernel()));
        GuestHandle first = b.start(s);
        String firstLine = first.exec("dmesg | grep -m1 'Calibrating delay loop'", Duration.ofSeconds(10)).stdoutText();
        assertFalse("the first boot calibrates: " + firstLine, firstLine.contains("skipped"));
        Long lpj = b.calibration(s.kernel());
        assertTrue("learnt from the console: " + firstLine, lpj != null && firstLine.contains("lpj=" + lpj + ")"));
        first.stop(Duration.ofSeconds(10));

        GuestHandle second = b.start(s);
        assertTrue(second.exec("cat /proc/cmdline", Duration.ofSeconds(10)).stdoutText().contains(" lpj=" + lpj));
        String secondLine = second.exec("dmesg | grep -m1 'Calibrating delay loop'", Duration.ofSeconds(10)).stdoutText();
        assertTrue("the second boot skips it: " + secondLine, secondLine.contains("skipped"));
        second.stop(Duration.ofSeconds(10));

        GuestSpec own = new GuestSpec(GUEST, s.kernel(), s.root(), s.runDir(), s.memoryMb(), List.of("lpj=1000000"),
                s.interfaces(), s.bootTimeout(), s.nice());
        assertFalse("a guest's own lpj= wins", UmlBackend.commandLine(own, lpj).contains("lpj=" + lpj));
    }

    @Test
    public void killMinusNineIsReportedAsACrash() throws Exception {
        GuestHandle g = backend().start(spec());
        assertEquals(0, g.exec("true", Duration.ofSeconds(10)).exitStatus());
        long t0 = System.nanoTime();
        Native.libc().kill((int) g.pid(), Fcntl.SIGKILL); // the main process only, as a stray kill would
        Boolean requested = g.exited().toCompletableFuture().get(10, TimeUnit.SECONDS);
        System.out.printf("kill -9 -> exited() after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertFalse("a crash is not a requested exit", requested);
        assertFalse(g.isAlive());
        // UML's other processes (one per guest address space, helpers) went with it
        assertEquals(List.of(), Fixtures.awaitNoProcesses(GUEST, 3000));
        assertFalse(Files.exists(runDir.resolve(GUEST)));
        assertTrue("console log stays for a post-mortem", Files.exists(runDir.resolve("console.log")));
        assertEquals(Reason.INVALID_STATE,
                assertThrows(DummException.class, () -> g.exec("true", Duration.ofSeconds(1))).reason());
    }

    @Test
    public void theProcessGetsItsOwnSessionNoAslrNiceAndOnlyItsDescriptors() throws Exception {
        GuestSpec s = spec();
        GuestHandle g = backend().start(new GuestSpec(s.name(), s.kernel(), s.root(), s.runDir(), s.memoryMb(),
                s.extraArgs(), s.interfaces(), s.bootTimeout(), 7));
        String pid = Long.toString(g.pid());
        String stat = Files.readString(Path.of("/proc", pid, "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertEquals("own session", pid, f[3]);
        assertEquals("own process group", pid, f[2]);
        assertEquals("nice", "7", f[16]);
        assertEquals("ADDR_NO_RANDOMIZE", "00040000", Files.readString(Path.of("/proc", pid, "personality")).trim());
        Path fds = Path.of("/proc", pid, "fd");
        assertEquals("/dev/null", Files.readSymbolicLink(fds.resolve("0")).toString());
        assertEquals(runDir.resolve("console.log").toString(), Files.readSymbolicLink(fds.resolve("1")).toString());
        assertEquals(runDir.resolve("console.log").toString(), Files.readSymbolicLink(fds.resolve("2")).toString());
        // the agent's channel: both ends of a socket pair; the console's: a pty's master and terminal
        String agentUml = Files.readSymbolicLink(fds.resolve("3")).toString();
        String agentHost = Files.readSymbolicLink(fds.resolve("4")).toString();
        assertTrue(agentUml, agentUml.startsWith("socket:["));
        assertTrue(agentHost, agentHost.startsWith("socket:[") && !agentHost.equals(agentUml));
        assertTrue(Files.readSymbolicLink(fds.resolve("5")).toString().endsWith("ptmx"));
        assertTrue(Files.readSymbolicLink(fds.resolve("6")).toString().startsWith("/dev/pts/"));
        // nothing of the JVM's (jars, sockets of Maven's fork channel) leaked into the guest
        try (var list = Files.list(fds)) {
            for (Path fd : list.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (NoSuchFileException closedMeanwhile) {
                    continue; // the booting kernel opens and closes hostfs files while we look
                }
                assertFalse(target, target.endsWith(".jar") || target.contains("surefire"));
            }
        }
        // the JVM's own thread kept its personality: only the spawning thread had it
        assertEquals("00000000", Files.readString(Path.of("/proc/self/personality")).trim());
    }

    @Test
    public void stopSyncsTheGuestsWritesAndHalts() throws Exception {
        GuestHandle g = backend().start(spec());
        assertEquals(0, g.exec("echo kept > /root/note", Duration.ofSeconds(10)).exitStatus());
        long t0 = System.nanoTime();
        g.stop(Duration.ofSeconds(20));
        System.out.printf("stop -> gone after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertTrue(g.exited().toCompletableFuture().get(1, TimeUnit.SECONDS));
        assertFalse(g.isAlive());
        assertEquals(List.of(), Fixtures.processesOf(GUEST));
        // the write reached the host through hostfs before the halt
        assertEquals("kept\n", Files.readString(union.upper.resolve("root/note")));
        assertFalse(Files.exists(runDir.resolve(GUEST)));
        g.stop(Duration.ofSeconds(1)); // stopping a stopped guest is a no-op
    }

    @Test
    public void aRebootInsideTheGuestKeepsHandleAndInterfaces() throws Exception {
        String tap0 = "dmvl1";
        String tap1 = "dmvl2";
        for (String t : List.of(tap0, tap1)) {
            Fixtures.createTap(t);
            taps.add(t);
        }
        GuestHandle g = backend().start(spec(new InterfaceSpec("eth0", tap0, "02:d3:00:00:01:00", Transport.VECTOR)));
        g.plugInterface(new InterfaceSpec("eth1", tap1, "02:d3:00:00:01:01", Transport.TUNTAP));
        long pid = g.pid();
        // UML re-executes itself on reboot; the agent that took the request dies with the old kernel
        DummException lost = assertThrows(DummException.class, () -> g.exec("reboot -f", Duration.ofSeconds(20)));
        assertEquals(Reason.GUEST_FAILURE, lost.reason());
        assertTrue(lost.getMessage(), lost.getMessage().contains("restarted"));
        assertEquals(pid, g.pid());
        assertTrue(g.isAlive());
        ExecResult up;
        try {
            up = g.exec("cat /proc/uptime", Duration.ofSeconds(20));
        } catch (DummException e) {
            System.out.println("CONSOLE: " + Files.readString(runDir.resolve("console.log")));
            throw e;
        }
        assertTrue(up.stdoutText(), Double.parseDouble(up.stdoutText().split(" ")[0]) < 60);
        // the vector interface got its name back, the hot-plugged one was plugged again
        String macs = "";
        for (int i = 0; i < 100 && !macs.contains("02:d3:00:00:01:01"); i++) {
            Thread.sleep(100);
            macs = g.exec("cat /sys/class/net/eth0/address /sys/class/net/eth1/address 2>&1", Duration.ofSeconds(10))
                    .stdoutText();
        }
        assertEquals("02:d3:00:00:01:00\n02:d3:00:00:01:01\n", macs);
    }

    @Test
    public void killByTheHandleIsARequestedExit() throws Exception {
        GuestHandle g = backend().start(spec());
        g.kill();
        assertTrue(g.exited().toCompletableFuture().get(1, TimeUnit.SECONDS));
        assertEquals(List.of(), Fixtures.processesOf(GUEST));
    }

    @Test
    public void aFreshBackendReattachesARunningGuest() throws Exception {
        String tap = "dmvl0";
        Fixtures.createTap(tap);
        taps.add(tap);
        UmlBackend first = backend();
        GuestSpec spec = spec();
        GuestHandle g1 = first.start(spec);
        long pid = g1.pid();
        assertEquals(0, g1.exec("echo before > /tmp/mark", Duration.ofSeconds(10)).exitStatus());
        first.deactivate(); // what a bundle update or Karaf stop does: threads go, the guest stays
        assertTrue(Fixtures.processesOf(GUEST).contains((int) pid));

        UmlBackend second = backend();
        Optional<GuestHandle> adopted = second.attach(spec);
        assertTrue(adopted.isPresent());
        GuestHandle g2 = adopted.get();
        assertEquals(pid, g2.pid());
        assertTrue(g2.isAlive());
        ExecResult r = g2.exec("cat /tmp/mark", Duration.ofSeconds(10));
        assertEquals("before\n", r.stdoutText());
        g2.plugInterface(new InterfaceSpec("eth0", tap, null, Transport.TUNTAP));
        assertEquals(0, g2.exec("ip link show eth0", Duration.ofSeconds(10)).exitStatus());
        g2.unplugInterface("eth0");
        // crash detection works for an adopted guest, which is not our child any more… or is
        // (same JVM here): either way the pidfd reports it
        Native.libc().kill((int) pid, Fcntl.SIGKILL);
        assertFalse(g2.exited().toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertEquals(List.of(), Fixtures.awaitNoProcesses(GUEST, 3000));
    }

    /** A guest started by an earlier version, whose agent talks over a pty, is reached and adopted as before. */
    @Test
    public void aGuestWithTheOldPtyChannelIsStillAdopted() throws Exception {
        UmlBackend first = backend();
        first.agentOverPty = true;
        GuestHandle g1 = first.start(spec());
        Path hostEnd = Path.of("/proc", Long.toString(g1.pid()), "fd", Integer.toString(UmlBackend.AGENT_TERMINAL_FD));
        assertTrue(Files.readSymbolicLink(hostEnd).toString().startsWith("/dev/pts/"));
        assertEquals("one\n", g1.exec("echo one", Duration.ofSeconds(10)).stdoutText());
        first.deactivate();

        GuestHandle g2 = backend().attach(spec()).orElseThrow();
        assertEquals(g1.pid(), g2.pid());
        ExecResult r = g2.exec("echo two; exit 4", Duration.ofSeconds(10));
        assertEquals("two\n", r.stdoutText());
        assertEquals(4, r.exitStatus());
    }

    @Test
    public void aPausedGuestIsAdoptedPaused() throws Exception {
        UmlBackend first = backend();
        GuestSpec spec = spec();
        GuestHandle g1 = first.start(spec);
        g1.pause();
        first.deactivate();

        GuestHandle g2 = backend().attach(spec).orElseThrow();
        assertTrue(g2.isPaused());
        g2.resume();
        assertEquals("awake\n", g2.exec("echo awake", Duration.ofSeconds(10)).stdoutText());
    }

    @Test
    public void attachFindsNothingAndRemovesStaleFiles() throws Exception {
        GuestSpec spec = spec();
        assertTrue(backend().attach(spec).isEmpty());
        // a leftover from a guest that died with the host: its pid now names another process
        Path umid = Files.createDirectories(runDir.resolve(GUEST));
        Files.writeString(umid.resolve("pid"), Long.toString(ProcessHandle.current().pid()));
        Files.writeString(runDir.resolve("paused"), "x");
        assertTrue(backend().attach(spec).isEmpty());
        assertFalse(Files.exists(umid));
        assertFalse(Files.exists(runDir.resolve("paused")));
    }

    @Test
    public void startingARunningGuestAgainIsRefused() {
        UmlBackend b = backend();
        GuestSpec spec = spec();
        GuestHandle g = b.start(spec);
        DummException e = assertThrows(DummException.class, () -> b.start(spec));
        assertEquals(Reason.ALREADY_EXISTS, e.reason());
        assertTrue(g.isAlive());
        assertEquals(0, g.exec("true", Duration.ofSeconds(10)).exitStatus());
    }

    @Test
    public void aMissingKernelFailsBeforeAnythingIsCreated() {
        GuestSpec spec = Fixtures.withKernel(spec(), Path.of("/nonexistent/linux.uml"));
        DummException e = assertThrows(DummException.class, () -> backend().start(spec));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage(), e.getMessage().contains("/nonexistent/linux.uml"));
        assertFalse(Files.exists(runDir));
    }

    @Test
    public void aMissingTapFailsBeforeAnythingIsCreated() {
        GuestSpec spec = spec(new InterfaceSpec("eth0", "dmvnotap", null, Transport.TUNTAP));
        DummException e = assertThrows(DummException.class, () -> backend().start(spec));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertFalse(Files.exists(runDir));
    }

    @Test
    public void badSpecsAreRejected() {
        UmlBackend b = backend();
        for (GuestSpec bad : List.of(
                new GuestSpec("Bad/Name", Fixtures.KERNEL, union.root, runDir, 64, List.of(), List.of(),
                        Fixtures.BOOT_TIMEOUT, 0),
                new GuestSpec(GUEST, Fixtures.KERNEL, union.root, runDir, 4, List.of(), List.of(),
                        Fixtures.BOOT_TIMEOUT, 0),
                new GuestSpec(GUEST, Fixtures.KERNEL, union.root, runDir, 64, List.of("init=/bin/sh"), List.of(),
                        Fixtures.BOOT_TIMEOUT, 0),
                new GuestSpec(GUEST, Fixtures.KERNEL, master, runDir, 64, List.of(), List.of(),
                        Fixtures.BOOT_TIMEOUT, 0),
                new GuestSpec(GUEST, Fixtures.KERNEL, union.root, Path.of("/tmp/" + "x".repeat(100)), 64, List.of(),
                        List.of(), Fixtures.BOOT_TIMEOUT, 0))) {
            DummException e = assertThrows(DummException.class, () -> b.start(bad));
            assertEquals(e.getMessage(), Reason.INVALID_ARGUMENT, e.reason());
        }
        assertFalse(Files.exists(runDir));
    }

    @Test
    public void aRootWithoutShellFailsWithTheReasonAndLeavesNothing() throws Exception {
        Files.delete(union.root.resolve("bin/sh")); // a whiteout in the diff: the master keeps it
        assertBootFails(spec(), "/bin/sh");
    }

    @Test
    public void aBrokenInitFailsWithTheReasonAndLeavesNothing() throws Exception {
        Files.delete(union.root.resolve("sbin/init"));
        Files.writeString(union.root.resolve("sbin/init"), "this is not a program\n");
        assertBootFails(spec(), "/sbin/init");
    }

    @Test
    public void aBootTimeoutKillsTheGuestAndLeavesNothing() throws Exception {
        assertBootFails(Fixtures.withTimeout(spec(), Duration.ofMillis(300)), "not ready");
    }

    private void assertBootFails(GuestSpec spec, String reasonText) throws Exception {
        DummException e = assertThrows(DummException.class, () -> backend().start(spec));
        System.out.println("boot failure: " + e.getMessage());
        assertEquals(e.getMessage(), Reason.GUEST_FAILURE, e.reason());
        assertTrue(e.getMessage(), e.getMessage().contains(reasonText));
        assertFalse(e.getMessage(), e.getMessage().contains("\n"));
        assertEquals(List.of(), Fixtures.awaitNoProcesses(GUEST, 3000));
        assertEquals("run dir left behind", List.of(), Fixtures.filesUnder(runDir));
        assertFalse(Files.exists(runDir));
        assertNotNull(e.getMessage());
    }
}
