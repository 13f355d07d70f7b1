package org.dumm.uml.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.dumm.api.ConsoleSession;
import org.dumm.api.DummException;
import org.dumm.api.ExecResult;
import org.dumm.api.Transport;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.GuestSpec;
import org.dumm.api.spi.InterfaceSpec;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * One real busybox guest, booted once with a tuntap and a vector interface, shared by the tests
 * of exec, hot-plug, pause, console and mconsole.
 */
public class UmlGuestTest {

    private static final String GUEST = "dmvguest";
    private static final String TAP0 = "dmvg0";
    private static final String TAP1 = "dmvg1";
    private static final String TAP2 = "dmvg2";
    private static final String TAP3 = "dmvg3";
    private static final String MAC0 = "02:d3:00:00:00:10";
    private static final String MAC1 = "02:d3:00:00:00:11";

    private static Path scratch;
    private static Fixtures.Union union;
    private static UmlBackend backend;
    private static GuestHandle guest;
    private static GuestSpec spec;

    @BeforeClass
    public static void boot() throws Exception {
        scratch = Fixtures.scratch();
        backend = new UmlBackend();
        Path layer = backend.bootLayer(scratch.resolve("work"));
        Path master = Fixtures.busyboxMaster(scratch.resolve("master"));
        union = new Fixtures.Union(scratch.resolve("g"), layer, master);
        for (String tap : List.of(TAP0, TAP1, TAP2, TAP3)) {
            Fixtures.createTap(tap);
        }
        spec = Fixtures.spec(GUEST, union.root, scratch.resolve("g/run"),
                new InterfaceSpec("eth0", TAP0, MAC0, Transport.TUNTAP),
                new InterfaceSpec("eth1", TAP1, MAC1, Transport.VECTOR));
        guest = backend.start(spec);
    }

    @AfterClass
    public static void tearDown() throws Exception {
        try {
            if (guest != null) {
                guest.kill();
            }
        } finally {
            if (backend != null) {
                backend.deactivate();
            }
            Fixtures.killLeftovers(GUEST);
            if (union != null) {
                union.close();
            }
            for (String tap : List.of(TAP0, TAP1, TAP2, TAP3)) {
                Fixtures.deleteTap(tap);
            }
            BootLayer.deleteTree(scratch);
        }
        assertEquals(List.of(), Fixtures.processesOf(GUEST));
    }

    private static ExecResult sh(String command) {
        ExecResult r = guest.exec(command, Duration.ofSeconds(30));
        assertFalse("timed out: " + command, r.timedOut());
        return r;
    }

    @Test
    public void bootedGuestRunsTheMastersInitAndTheAgent() {
        assertTrue(guest.isAlive());
        assertTrue(guest.pid() > 1);
        // the wrapper exec'd busybox init as PID 1; the agent serves next to it
        assertEquals("init\n", sh("cat /proc/1/comm").stdoutText());
        assertTrue(sh("ps").stdoutText().contains("dumm-agent"));
        assertEquals("dmv\n", sh("hostname").stdoutText());
    }

    @Test
    public void guestBootsWithoutLegacyPtysOnOneHostCpu() {
        assertTrue(sh("cat /proc/cmdline").stdoutText().contains("pty.legacy_count=0"));
        assertEquals("no BSD ptys registered", 1, sh("[ -e /sys/class/tty/ptyp0 ]").exitStatus());
        assertEquals("Unix98 ptys still there", 0, sh("[ -c /dev/ptmx ]").exitStatus());
        java.util.BitSet jvm = org.dumm.nativ.CpuAffinity.of(0);
        java.util.BitSet guestCpus = org.dumm.nativ.CpuAffinity.of((int) guest.pid());
        if (jvm.cardinality() > 1) {
            assertEquals("pinned to one CPU: " + guestCpus, 1, guestCpus.cardinality());
            assertEquals(guestCpus.nextSetBit(0), ((UmlGuest) guest).cpu());
        }
    }

    @Test
    public void execReportsStatusStdoutAndStderr() {
        ExecResult ok = sh("echo hello");
        assertEquals(0, ok.exitStatus());
        assertEquals("hello\n", ok.stdoutText());
        assertEquals("", ok.stderrText());
        assertTrue(ok.succeeded());

        ExecResult bad = sh("echo out; echo err >&2; exit 3");
        assertEquals(3, bad.exitStatus());
        assertEquals("out\n", bad.stdoutText());
        assertEquals("err\n", bad.stderrText());
        assertFalse(bad.succeeded());

        ExecResult missing = sh("no-such-command-dmv");
        assertEquals(127, missing.exitStatus());
        assertTrue(missing.stderrText().contains("not found"));
    }

    @Test
    public void execPassesQuotesUnicodeAndNewlines() {
        ExecResult r = sh("x='a \"b\" $c'\necho \"$x\"\nprintf '%s\\n' 'ünï ✓'");
        assertEquals("a \"b\" $c\nünï ✓\n", r.stdoutText());
    }

    @Test
    public void execReturnsOneMegabyteByteExact() throws Exception {
        // the master's busybox is a copy of the host's: all 256 byte values, known content
        byte[] expected = Arrays.copyOf(Files.readAllBytes(Path.of("/bin/busybox")), 1 << 20);
        ExecResult r = sh("head -c 1048576 /bin/busybox");
        assertEquals(0, r.exitStatus());
        assertFalse(r.truncated());
        assertEquals(expected.length, r.stdout().length);
        assertArrayEquals(expected, r.stdout());
        // and on stderr, at the same time
        ExecResult e = sh("head -c 300000 /bin/busybox >&2; echo done");
        assertArrayEquals(Arrays.copyOf(expected, 300000), e.stderr());
        assertEquals("done\n", e.stdoutText());
    }

    @Test
    public void execTimeoutKillsTheCommandInTheGuest() {
        ExecResult r = guest.exec("echo started; sleep 37; echo never", Duration.ofMillis(700));
        assertTrue(r.timedOut());
        assertEquals(137, r.exitStatus());
        assertEquals("started\n", r.stdoutText());
        // the whole process group went, sleep included
        assertEquals("0\n", sh("ps | grep -c '[s]leep 37'").stdoutText());
    }

    @Test
    public void aBackgroundDaemonOutlivesItsExecAndMayKeepPrinting() throws Exception {
        long t0 = System.nanoTime();
        ExecResult r = sh("(sleep 1; echo late; exec sleep 33) & echo started");
        assertEquals("started\n", r.stdoutText());
        assertTrue("exec waited for its background child", System.nanoTime() - t0 < 20_000_000_000L);
        Thread.sleep(2000);
        // it printed after its exec had answered and was not killed by SIGPIPE
        assertEquals("1\n", sh("ps | grep -c '[s]leep 33'").stdoutText());
        sh("kill $(ps | grep '[s]leep 33' | awk '{print $1}')");
    }

    @Test
    public void severalExecsRunAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<ExecResult>> runs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int n = i;
                runs.add(pool.submit(() -> guest.exec("sleep 1; echo run-" + n, Duration.ofSeconds(30))));
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < 6; i++) {
                ExecResult r = runs.get(i).get();
                assertEquals(0, r.exitStatus());
                assertEquals("run-" + i + "\n", r.stdoutText());
            }
            // six one-second sleeps overlapped in the guest (reported, not asserted: timing)
            System.out.printf("6 concurrent 'sleep 1' execs took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    public void outputBeyondTheCapIsCutAndFlagged() {
        ExecResult r = sh("head -c " + (UmlBackend.OUTPUT_CAP + 100_000) + " /dev/zero; echo tail >&2");
        assertTrue(r.truncated());
        assertEquals(UmlBackend.OUTPUT_CAP, r.stdout().length);
        assertEquals("tail\n", r.stderrText());
        assertEquals(0, r.exitStatus());
    }

    @Test
    public void execRejectsBadInput() {
        assertEquals(DummException.Reason.INVALID_ARGUMENT,
                assertThrows(DummException.class, () -> guest.exec("", Duration.ofSeconds(1))).reason());
        assertEquals(DummException.Reason.INVALID_ARGUMENT,
                assertThrows(DummException.class, () -> guest.exec("echo a\0b", Duration.ofSeconds(1))).reason());
    }

    @Test
    public void bootInterfacesHaveTheirNamesAndMacs() {
        assertEquals(MAC0 + "\n", sh("cat /sys/class/net/eth0/address").stdoutText());
        // the vector interface was born vec1 and renamed to the name Dumm gave it
        assertEquals(MAC1 + "\n", sh("cat /sys/class/net/eth1/address").stdoutText());
        assertEquals(1, sh("ls /sys/class/net/vec1").exitStatus());
    }

    @Test
    public void hotPlugAndUnplugTuntap() {
        String mac = "02:d3:00:00:00:12";
        guest.plugInterface(new InterfaceSpec("eth2", TAP2, mac, Transport.TUNTAP));
        assertEquals(mac + "\n", sh("cat /sys/class/net/eth2/address").stdoutText());
        assertEquals(0, sh("ip link set eth2 up && ip addr add 10.213.2.1/24 dev eth2").exitStatus());
        assertTrue(sh("cat /proc/net/dev").stdoutText().contains("eth2:"));
        // a duplicate is refused and changes nothing
        assertEquals(DummException.Reason.ALREADY_EXISTS, assertThrows(DummException.class,
                () -> guest.plugInterface(new InterfaceSpec("eth2", TAP2, null, Transport.TUNTAP))).reason());

        guest.unplugInterface("eth2"); // it is up: the backend brings it down first
        assertFalse(sh("cat /proc/net/dev").stdoutText().contains("eth2:"));
        assertEquals(DummException.Reason.NOT_FOUND,
                assertThrows(DummException.class, () -> guest.unplugInterface("eth2")).reason());
    }

    @Test
    public void setLinkUpTogglesTheInterfaceWithoutAProcess() {
        guest.plugInterface(new InterfaceSpec("eth4", TAP2, null, Transport.TUNTAP));
        try {
            guest.setLinkUp("eth4", true);
            assertEquals("1\n", sh("echo $(( $(cat /sys/class/net/eth4/flags) & 1 ))").stdoutText());
            guest.setLinkUp("eth4", false);
            assertEquals("0\n", sh("echo $(( $(cat /sys/class/net/eth4/flags) & 1 ))").stdoutText());
            DummException e = assertThrows(DummException.class, () -> guest.setLinkUp("eth77", true));
            assertEquals(DummException.Reason.GUEST_FAILURE, e.reason());
            assertTrue(e.getMessage(), e.getMessage().contains("eth77"));
        } finally {
            guest.unplugInterface("eth4");
        }
    }

    @Test
    public void hotPlugAndUnplugVector() {
        String mac = "02:d3:00:00:00:13";
        guest.plugInterface(new InterfaceSpec("eth3", TAP3, mac, Transport.VECTOR));
        String links = sh("ip -o link").stdoutText();
        assertTrue(links, links.contains("eth3:"));
        assertFalse(links, links.contains("vec3"));
        assertEquals(mac + "\n", sh("cat /sys/class/net/eth3/address").stdoutText());
        assertEquals(0, sh("ip link set eth3 up").exitStatus());

        guest.unplugInterface("eth3");
        assertFalse(sh("ip -o link").stdoutText().contains("eth3"));
    }

    @Test
    public void plugInterfaceUpMakesTheTapWhileTheGuestRegistersTheDevice() {
        String tap = "dmvg5";
        try {
            // vector: born vec5, renamed, then up; the TAP is made only after the config was sent
            boolean[] made = new boolean[1];
            GuestHandle.Completion up = guest.plugInterfaceUp(new InterfaceSpec("eth5", tap, null, Transport.VECTOR), () -> {
                assertFalse(Files.exists(Path.of("/sys/class/net", tap)));
                made[0] = true;
                createTap(tap);
            });
            up.await();
            assertTrue(made[0]);
            assertEquals("1\n", sh("echo $(( $(cat /sys/class/net/eth5/flags) & 1 ))").stdoutText());
            assertEquals(1, sh("ls /sys/class/net/vec5").exitStatus());
            guest.unplugInterface("eth5");
            assertFalse(sh("ip -o link").stdoutText().contains("eth5"));
        } finally {
            Fixtures.deleteTap(tap);
        }
    }

    @Test
    public void plugInterfaceUpTakesTheDeviceBackWhenTheTapCannotBeMade() {
        DummException refused = new DummException(DummException.Reason.NOT_OWNED, "dmvg6 is someone else's");
        DummException e = assertThrows(DummException.class, () -> guest.plugInterfaceUp(
                new InterfaceSpec("eth6", "dmvg6", null, Transport.TUNTAP), () -> {
                    throw refused;
                }));
        assertSame(refused, e);
        assertFalse(sh("cat /proc/net/dev").stdoutText().contains("eth6:"));
        assertFalse(Files.exists(Path.of("/sys/class/net/dmvg6")));
        // nothing of it is left: the same interface plugs now
        try {
            guest.plugInterfaceUp(new InterfaceSpec("eth6", "dmvg6", null, Transport.TUNTAP), () -> createTap("dmvg6")).await();
            assertEquals("1\n", sh("echo $(( $(cat /sys/class/net/eth6/flags) & 1 ))").stdoutText());
            guest.unplugInterface("eth6");
        } finally {
            Fixtures.deleteTap("dmvg6");
        }
    }

    private static void createTap(String name) {
        try {
            Fixtures.createTap(name);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    public void hotPlugRejectsBadInterfaces() {
        assertEquals(DummException.Reason.INVALID_ARGUMENT, assertThrows(DummException.class,
                () -> guest.plugInterface(new InterfaceSpec("eth", TAP2, null, Transport.TUNTAP))).reason());
        assertEquals(DummException.Reason.INVALID_ARGUMENT, assertThrows(DummException.class,
                () -> guest.plugInterface(new InterfaceSpec("eth5", TAP2, "02:zz", Transport.TUNTAP))).reason());
        // a TAP that does not exist: UML would take it and fail later; the backend says so now
        assertEquals(DummException.Reason.NOT_FOUND, assertThrows(DummException.class,
                () -> guest.plugInterface(new InterfaceSpec("eth6", "dmvnone6", null, Transport.TUNTAP))).reason());
        assertFalse(sh("cat /proc/net/dev").stdoutText().contains("eth6:"));
    }

    @Test
    public void pauseFreezesTheGuestAndResumeThawsIt() throws Exception {
        // a guest loop that stamps a file; hostfs writes through, so the host sees each stamp
        Path tick = union.upper.resolve("tmp/tick");
        sh("(while :; do date +%s%N > /tmp/tick; usleep 20000; done) </dev/null >/dev/null 2>&1 &");
        try (Mconsole mc = new Mconsole(GUEST, spec.runDir().resolve(GUEST).resolve("mconsole").toString())) {
            awaitChange(tick);
            guest.pause();
            try {
                assertTrue(guest.isPaused());
                assertTrue(Files.exists(spec.runDir().resolve("paused")));
                String frozen = Files.readString(tick);
                Thread.sleep(800);
                assertEquals("the guest ran while paused", frozen, Files.readString(tick));
                // the mconsole keeps answering while the guest is stopped
                assertTrue(mc.call("proc uptime", Duration.ofSeconds(5)).contains("."));
                assertEquals(DummException.Reason.INVALID_STATE,
                        assertThrows(DummException.class, () -> guest.exec("true", Duration.ofSeconds(1))).reason());
                guest.pause(); // idempotent
            } finally {
                guest.resume();
            }
            assertFalse(guest.isPaused());
            assertFalse(Files.exists(spec.runDir().resolve("paused")));
            awaitChange(tick);
        } finally {
            sh("kill $(ps | grep '[u]sleep 20000' | awk '{print $1}') 2>/dev/null; "
                    + "for p in $(ps | grep '[w]hile :' | awk '{print $1}'); do kill $p; done; true");
        }
        assertEquals("back\n", sh("echo back").stdoutText());
    }

    private static void awaitChange(Path file) throws Exception {
        String first = Files.exists(file) ? Files.readString(file) : "";
        long end = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < end) {
            if (Files.exists(file) && !Files.readString(file).equals(first) && !Files.readString(file).isEmpty()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(file + " did not change");
    }

    @Test
    public void mconsoleAnswersItsCommands() {
        try (Mconsole mc = new Mconsole(GUEST, spec.runDir().resolve(GUEST).resolve("mconsole").toString())) {
            assertTrue(mc.call("version", Duration.ofSeconds(5)).contains("6.1"));
            // a long answer arrives in several datagrams
            String meminfo = mc.call("proc meminfo", Duration.ofSeconds(5));
            assertTrue(meminfo.length() > 512);
            assertTrue(meminfo.contains("MemTotal:"));
            assertTrue(meminfo.trim().endsWith("kB"));
            assertEquals("fd:3", mc.call("config con" + UmlBackend.AGENT_CONSOLE, Duration.ofSeconds(5)));
            assertTrue(mc.request("no-such-command", Duration.ofSeconds(5)).error());
            mc.call("sysrq s", Duration.ofSeconds(5)); // emergency sync, answered without error
            assertEquals(DummException.Reason.GUEST_FAILURE, assertThrows(DummException.class,
                    () -> mc.call("remove eth9", Duration.ofSeconds(5))).reason());
        }
    }

    @Test
    public void consoleIsAShellThatSurvivesDetach() throws Exception {
        for (int round = 0; round < 2; round++) {
            try (ConsoleSession c = guest.console()) {
                assertTrue(c.device().startsWith("/dev/pts/"));
                c.input().write(("echo dmv-console-$((6*7+" + round + "))\n").getBytes(StandardCharsets.UTF_8));
                c.input().flush();
                String want = "dmv-console-" + (42 + round);
                assertTrue("console said no " + want, readUntil(c.output(), want, 10_000));
            }
        }
        assertEquals(0, sh("true").exitStatus());
    }

    /** The console starts at 24x80 and a resize reaches the guest's tty ({@code stty size} there). */
    @Test
    public void consoleResizeReachesTheGuestsTerminal() throws Exception {
        try (ConsoleSession c = guest.console()) {
            StringBuffer seen = new StringBuffer();
            Thread reader = new Thread(() -> {
                byte[] buf = new byte[4096];
                try {
                    for (int n; (n = c.output().read(buf)) > 0; ) {
                        seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (java.io.IOException e) {
                    // detached
                }
            });
            reader.start();
            try {
                assertTrue("the console did not start at 24x80: " + seen, typeUntil(c, seen, "dmv-size-24x80"));
                c.resize(37, 111);
                assertTrue("the resize did not reach the guest: " + seen, typeUntil(c, seen, "dmv-size-37x111"));
                assertEquals(DummException.Reason.INVALID_ARGUMENT,
                        assertThrows(DummException.class, () -> c.resize(0, 80)).reason());
            } finally {
                reader.interrupt();
                reader.join(2000);
            }
        }
    }

    /** Types the size line again every 2 s (the shell may not be there yet after the boot) until {@code want} shows. */
    private static boolean typeUntil(ConsoleSession c, StringBuffer seen, String want) throws Exception {
        long end = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < end) {
            c.input().write("echo dmv-size-$(stty size | tr ' ' x)\n".getBytes(StandardCharsets.UTF_8));
            c.input().flush();
            for (int i = 0; i < 100; i++) {
                if (seen.indexOf(want) >= 0) {
                    return true;
                }
                Thread.sleep(20);
            }
        }
        return false;
    }

    @Test
    public void execChannelSurvivesAReconnect() throws Exception {
        // what a Karaf restart does to the host side: the terminal is closed and opened again
        UmlGuest g = (UmlGuest) guest;
        g.connect(System.nanoTime() + Duration.ofSeconds(10).toNanos());
        assertEquals("again\n", sh("echo again").stdoutText());
        assertNotEquals(0, guest.pid());
    }

    /** Reads the console on a helper thread until {@code want} shows up or time runs out. */
    private static boolean readUntil(InputStream in, String want, long millis) throws Exception {
        StringBuffer seen = new StringBuffer();
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            } catch (java.io.IOException e) {
                // interrupted or closed: done
            }
        });
        reader.start();
        try {
            long end = System.currentTimeMillis() + millis;
            while (System.currentTimeMillis() < end) {
                if (seen.indexOf(want) >= 0) {
                    return true;
                }
                Thread.sleep(20);
            }
            return false;
        } finally {
            reader.interrupt();
            reader.join(2000);
        }
    }
}
