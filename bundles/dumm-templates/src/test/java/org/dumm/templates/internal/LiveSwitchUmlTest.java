package org.dumm.templates.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.dumm.templates.internal.Fixture.write;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.dumm.api.spi.GuestRoot;
import org.dumm.api.spi.UnionFs;
import org.dumm.uml.internal.XstateShim;
import org.dumm.unionfs.internal.OverlayUnionFs;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The running-guest proof: a bare UML boots with its root on hostfs over our overlay at
 * {@code union/}, and a template is loaded and unloaded under it. The guest's init is a probe
 * loop that prints, once per iteration, the content of /probe (different in the diff and in
 * the template layer) and its uptime to the console, which is the UML process's stdout.
 */
public class LiveSwitchUmlTest {

    private static final Path KERNEL = Path.of("/usr/bin/linux.uml");
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final long WAIT_SECONDS = 90;

    /**
     * The probe: /last is opened anew each time, /held.log stays open on fd 3 all along and is
     * opened again for reading while /trigger exists (only in the template layer).
     */
    private static final String PROBE_SH = """
            #!/bin/sh
            mount -t proc proc /proc
            exec 3>>/held.log
            i=0
            while true; do
              i=$((i+1))
              echo "$i" > /last
              echo "held $i" >&3
              if [ -e /trigger ]; then cat /held.log > /dev/null; fi
              echo "PROBE $i $(cat /probe) $(cut -d' ' -f1 /proc/uptime)"
              sleep 0.2
            done
            """;

    private record Probe(int seq, String content, double uptime) {
    }

    private final UnionFs unionFs = new OverlayUnionFs();
    private final List<Probe> probes = new ArrayList<>();
    private final StringBuilder console = new StringBuilder();
    private Fixture fx;
    private FileTemplateStore store;
    private GuestRoot root;
    private Process uml;
    private List<ProcessHandle> umlProcesses = List.of();

    @Before
    public void setUp() throws Exception {
        assertTrue("needs user-mode-linux: " + KERNEL, Files.isExecutable(KERNEL));
        assertTrue("needs busybox-static: " + BUSYBOX, Files.isExecutable(BUSYBOX));
        fx = new Fixture("dmu-uml-", unionFs);
        Path master = fx.master("dmubox");
        for (String d : List.of("bin", "proc", "sys", "dev", "tmp", "etc")) {
            Files.createDirectories(master.resolve(d));
        }
        Files.copy(BUSYBOX, master.resolve("bin/busybox"));
        Process list = new ProcessBuilder(BUSYBOX.toString(), "--list").start();
        for (String applet : new String(list.getInputStream().readAllBytes(), UTF_8).split("\n")) {
            if (!applet.isBlank() && !applet.equals("busybox")) {
                Files.createSymbolicLink(master.resolve("bin").resolve(applet.trim()), Path.of("busybox"));
            }
        }
        assertEquals(0, list.waitFor());
        // the probe lives in a read-only top layer, like the backend's boot layer
        Path boot = fx.base.resolve("guests/dmug/boot");
        write(boot.resolve("probe.sh"), PROBE_SH);
        Files.setPosixFilePermissions(boot.resolve("probe.sh"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        GuestRoot r = fx.root("dmug", "dmubox");
        root = new GuestRoot(r.guest(), r.master(), r.diff(), r.workBase(), r.union(), boot);
        write(root.diff().resolve("probe"), "diff-version\n");
        store = FileTemplateStore.at(fx.base, unionFs);
        store.create("dmuscen");
        write(store.layerDir("dmuscen", "dmug").resolve("probe"), "template-version\n");
        write(store.layerDir("dmuscen", "dmug").resolve("trigger"), "");
        unionFs.mount(store.stackFor(root), root.union());
    }

    @After
    public void tearDown() throws Exception {
        try {
            if (uml != null) {
                uml.destroy(); // SIGTERM: UML shuts down and removes its umid dir
                if (!uml.waitFor(20, TimeUnit.SECONDS)) {
                    uml.destroyForcibly();
                    uml.waitFor(10, TimeUnit.SECONDS);
                }
                List<Long> survivors = new ArrayList<>();
                for (ProcessHandle h : umlProcesses) {
                    try {
                        h.onExit().get(10, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        survivors.add(h.pid());
                        h.destroyForcibly();
                    }
                }
                assertEquals("UML helper processes outlived the kernel", List.of(), survivors);
            }
        } finally {
            assertEquals(List.of(), fx.tearDown());
        }
    }

    private void boot() throws IOException {
        Path run = Files.createDirectories(fx.base.resolve("guests/dmug/run"));
        String umid = "dmu" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        // ASLR off, as the backend will do with personality(2): with it ~10 % of boots panic
        ProcessBuilder launch = new ProcessBuilder("setarch", "-R", KERNEL.toString(), "umid=" + umid, "uml_dir=" + run,
                "mem=64M", "rootfstype=hostfs", "rootflags=" + root.union(), "rw", "init=/probe.sh",
                "con=null", "con0=fd:0,fd:1", "ssl=null");
        // the backend's register-state shim: without it no guest process starts on a host with AMX
        launch.environment().put("LD_PRELOAD", XstateShim.installIn(run).toString());
        uml = launch
                .redirectErrorStream(true)
                .redirectInput(new File("/dev/null"))
                .start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(uml.getInputStream(), UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (probes) {
                        console.append(line).append('\n');
                        String[] f = line.trim().split(" ");
                        if (f.length == 4 && f[0].equals("PROBE")) {
                            probes.add(new Probe(Integer.parseInt(f[1]), f[2], Double.parseDouble(f[3])));
                            probes.notifyAll();
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the process went away
            }
        }, "dmu-uml-console");
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits until a probe with {@code seq >= from} satisfies {@code until}; returns all probes so far. */
    private List<Probe> awaitProbes(int count, int fromSeq) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        synchronized (probes) {
            Predicate<List<Probe>> enough = l -> l.stream().filter(p -> p.seq() >= fromSeq).count() >= count;
            while (!enough.test(probes)) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !uml.isAlive()) {
                    throw new AssertionError("guest printed no probe " + fromSeq + "+ (alive=" + uml.isAlive()
                            + "); console tail:\n" + tail());
                }
                probes.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            return new ArrayList<>(probes);
        }
    }

    private String tail() {
        String c = console.toString();
        return c.substring(Math.max(0, c.length() - 3000));
    }

    private int lastSeq() {
        synchronized (probes) {
            return probes.isEmpty() ? 0 : probes.get(probes.size() - 1).seq();
        }
    }

    private static List<String> contents(List<Probe> all, int from, int to) {
        return all.stream().filter(p -> p.seq() >= from && p.seq() < to).map(Probe::content).distinct().toList();
    }

    private static int lastNumber(Path file) throws IOException {
        return Integer.parseInt(Files.readString(file, UTF_8).trim());
    }

    @Test
    public void dmuGuestReadsTemplateAfterLoadAndDiffAfterUnloadWithoutReboot() throws Exception {
        boot();
        awaitProbes(3, 1);
        long pid = uml.pid();
        umlProcesses = uml.descendants().toList();
        Path layer = fx.base.resolve("templates/dmuscen/dmug");
        long heldBeforeLoad = Files.readAllLines(root.diff().resolve("held.log")).size();

        long t0 = System.nanoTime();
        store.load("dmuscen", List.of(root));
        long loadMicros = (System.nanoTime() - t0) / 1000;
        int loadedAt = lastSeq();
        // an iteration that began before load returned may have read either version: skip one
        List<Probe> afterLoad = awaitProbes(4, loadedAt + 2);

        int unloadFrom = lastSeq() + 1;
        t0 = System.nanoTime();
        store.unload(List.of(root));
        long unloadMicros = (System.nanoTime() - t0) / 1000;
        int unloadedAt = lastSeq();
        List<Probe> all = awaitProbes(4, unloadedAt + 2);

        assertEquals(List.of("diff-version"), contents(all, 1, loadedAt));
        assertEquals(List.of("template-version"), contents(afterLoad, loadedAt + 2, unloadFrom));
        assertEquals(List.of("diff-version"), contents(all, unloadedAt + 2, Integer.MAX_VALUE));
        // one boot: the sequence never restarted, the uptime only grew, same process
        for (int i = 1; i < all.size(); i++) {
            assertEquals("probe sequence restarted: " + all, all.get(i - 1).seq() + 1, all.get(i).seq());
            assertTrue("uptime went back: " + all, all.get(i).uptime() > all.get(i - 1).uptime());
        }
        assertTrue(uml.isAlive());
        assertEquals(pid, uml.pid());
        // files opened anew while loaded were written into the template layer, after unload into the diff
        int lastInTemplate = lastNumber(layer.resolve("last"));
        assertTrue(lastInTemplate >= loadedAt + 2 && lastInTemplate < unloadedAt + 2);
        assertTrue(lastNumber(root.diff().resolve("last")) >= unloadedAt + 2);
        // the file the guest held open across both switches kept writing into the diff; opening
        // it again while held did not reach the new stack either (no copy-up into the template):
        // hostfs keeps one host fd per guest inode and reuses it
        assertFalse(Files.exists(layer.resolve("held.log")));
        List<String> held = Files.readAllLines(root.diff().resolve("held.log"));
        assertTrue(held.size() > heldBeforeLoad);
        assertTrue("held.log has lines from the loaded period", held.contains("held " + (loadedAt + 2)));
        System.out.printf("dmu live switch: load %d us, unload %d us, %d probes, uptime %.2f..%.2f s%n",
                loadMicros, unloadMicros, all.size(), all.get(0).uptime(), all.get(all.size() - 1).uptime());
    }
}
