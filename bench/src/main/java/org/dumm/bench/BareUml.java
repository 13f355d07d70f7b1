package org.dumm.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dumm.uml.internal.XstateShim;

/**
 * The baseline: what a careful shell script around {@code linux.uml} does, without Dumm. Same
 * kernel, master and memory as Dumm's guests; a per-guest overlay root (spawned {@code mount});
 * ASLR off with {@code setarch -R}; own session with {@code setsid}; {@code init=} a script that
 * runs the master's rcS and then an interactive busybox shell on tty1 ({@code con1=pts}). The
 * console pty is learnt from mconsole ({@code config con1}). A guest is ready when the shell on
 * that pty answers a command. Devices come from spawned {@code ip}, hot-plug and halt from
 * spawned {@code uml_mconsole}.
 */
final class BareUml {

    static final String KERNEL = "/usr/bin/linux.uml";
    static final String INIT = "/.bench/init";
    private static final Pattern PTS = Pattern.compile("(/dev/pts/\\d+)");
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);

    final class Guest {
        final String name;
        final Path dir;
        final Path root;
        final Path run;
        final List<String> taps = new CopyOnWriteArrayList<>();
        volatile Process process;
        volatile long pid = -1;
        volatile PtyShell shell;
        volatile boolean mounted;

        Guest(String name) {
            this.name = name;
            this.dir = BareUml.this.dir.resolve("guests").resolve(name);
            this.root = dir.resolve("root");
            this.run = dir.resolve("run");
        }

        String socket() {
            return run.resolve(name).resolve("mconsole").toString();
        }

        boolean alive() {
            Process p = process;
            return p != null && p.isAlive();
        }
    }

    private final Path dir;
    private final Path layer;
    private final Path master;
    private final int memoryMb;
    final String bridge;
    /** Every host device the baseline made, so clean-up deletes exactly those. */
    private final Set<String> links = ConcurrentHashMap.newKeySet();
    private final Map<String, Guest> guests = new ConcurrentHashMap<>();

    /** Same userland start as busybox init runs (the master's rcS), then a shell on tty1. */
    static final String BUSYBOX_INIT = """
            #!/bin/sh
            /etc/init.d/rcS
            exec /bin/sh -i </dev/tty1 >/dev/tty1 2>&1
            """;

    /**
     * For a systemd master: a shell on tty1 in the background (the ready signal, as early as
     * Dumm's agent answers), then the master's own init as PID 1, as Dumm runs it.
     */
    static final String SYSTEMD_INIT = """
            #!/bin/sh
            /bin/sh -i </dev/tty1 >/dev/tty1 2>&1 &
            exec /sbin/init
            """;

    BareUml(Path dir, Path master, int memoryMb, String bridge) {
        this(dir, master, memoryMb, bridge, BUSYBOX_INIT);
    }

    BareUml(Path dir, Path master, int memoryMb, String bridge, String initScript) {
        this.dir = dir;
        this.master = master;
        this.memoryMb = memoryMb;
        this.bridge = bridge;
        this.layer = dir.resolve("layer");
        try {
            Path init = layer.resolve(INIT.substring(1));
            Files.createDirectories(init.getParent());
            Files.writeString(init, initScript);
            Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (initScript.equals(SYSTEMD_INIT)) {
                // systemd starts a getty on tty1, which would take the shell's terminal away
                // (agetty hangs it up) a few seconds into the boot: masked, as Dumm's boot layer
                // masks the gettys of its agent's terminal
                Path getty = layer.resolve("etc/systemd/system/getty@tty1.service");
                Files.createDirectories(getty.getParent());
                Files.createSymbolicLink(getty, Path.of("/dev/null"));
            }
            Files.createDirectories(dir.resolve("guests"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Collection<Guest> guests() {
        return guests.values();
    }

    void createBridge() {
        if (Host.linkExists(bridge)) {
            throw new IllegalStateException("a device named " + bridge + " already exists on this host");
        }
        links.add(bridge);
        Host.runChecked(TOOL_TIMEOUT, "ip", "link", "add", "name", bridge, "type", "bridge");
        Host.runChecked(TOOL_TIMEOUT, "ip", "link", "set", "dev", bridge, "up");
    }

    /** {@code ip tuntap add} + {@code ip link set master … up}: a TAP on the baseline's bridge. */
    void addTap(String tap) {
        if (Host.linkExists(tap)) {
            throw new IllegalStateException("a device named " + tap + " already exists on this host");
        }
        links.add(tap);
        Host.runChecked(TOOL_TIMEOUT, "ip", "tuntap", "add", "dev", tap, "mode", "tap");
        Host.runChecked(TOOL_TIMEOUT, "ip", "link", "set", "dev", tap, "master", bridge, "up");
    }

    /** Mounts a fresh overlay root and launches the kernel; returns at once. */
    Guest launch(String name, List<String> taps) {
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < taps.size(); i++) {
            devices.add("eth" + i + "=tuntap," + taps.get(i));
        }
        return launch(name, taps, devices);
    }

    /** As above with explicit device arguments (e.g. a vector interface) for the given TAPs. */
    Guest launch(String name, List<String> taps, List<String> deviceArgs) {
        Guest g = new Guest(name);
        if (guests.putIfAbsent(name, g) != null) {
            throw new IllegalStateException("bare guest " + name + " exists");
        }
        g.taps.addAll(taps);
        try {
            Path upper = Files.createDirectories(g.dir.resolve("upper"));
            Path work = Files.createDirectories(g.dir.resolve("work"));
            Files.createDirectories(g.root);
            Files.createDirectories(g.run);
            g.mounted = true;
            Host.runChecked(TOOL_TIMEOUT, "mount", "-t", "overlay", "dmbbare", "-o",
                    "lowerdir=" + layer + ":" + master + ",upperdir=" + upper + ",workdir=" + work, g.root.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> cmd = new ArrayList<>(List.of("setsid", "setarch", "-R", KERNEL, "umid=" + name,
                "uml_dir=" + g.run, "mem=" + memoryMb + "M", "rootfstype=hostfs", "rootflags=" + g.root, "rw",
                "init=" + INIT, "con=null", "con0=null,fd:1", "con1=pts", "ssl=null"));
        cmd.addAll(deviceArgs);
        try {
            File log = g.dir.resolve("console.log").toFile();
            ProcessBuilder launch = new ProcessBuilder(cmd);
            // as Dumm launches it: without the shim no guest process starts on a host with AMX
            launch.environment().put("LD_PRELOAD", XstateShim.installIn(g.dir).toString());
            g.process = launch.redirectErrorStream(true)
                    .redirectOutput(log).redirectInput(new File("/dev/null")).start();
            g.pid = g.process.pid(); // setsid and setarch exec in place: this is linux.uml's pid
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return g;
    }

    /** Waits until the guest's shell answers on its console pty; false if it died or timed out. */
    boolean awaitReady(Guest g, long deadlineNanos) {
        Path socket = Path.of(g.socket());
        while (!Files.exists(socket)) {
            if (!g.alive() || System.nanoTime() > deadlineNanos) {
                return false;
            }
            Host.sleep(10);
        }
        String pts = null;
        while (pts == null) {
            if (!g.alive() || System.nanoTime() > deadlineNanos) {
                return false;
            }
            String r = MconsoleProbe.request(g.socket(), "config con1", 500);
            Matcher m = r == null ? null : PTS.matcher(r);
            if (m != null && m.find()) {
                pts = m.group(1);
            } else {
                Host.sleep(10);
            }
        }
        g.shell = PtyShell.open(pts);
        return g.shell.awaitShell(deadlineNanos, 2000, g::alive);
    }

    /**
     * Connects a new interface the script way: {@code ip tuntap add}, {@code ip link set master},
     * {@code uml_mconsole config ethN=tuntap,TAP}. Returns nanoseconds.
     */
    long connect(Guest g, int n, String tap) {
        long t0 = System.nanoTime();
        addTap(tap);
        Host.Result r = Host.run(TOOL_TIMEOUT, "uml_mconsole", g.socket(), "config", "eth" + n + "=tuntap," + tap);
        long t = System.nanoTime() - t0;
        if (!r.ok() || !r.out().contains("OK")) {
            throw new IllegalStateException("uml_mconsole config eth" + n + " failed: " + r.out().trim());
        }
        g.taps.add(tap);
        return t;
    }

    /**
     * Tears guests down as a script would: {@code uml_mconsole halt} for all at once, wait for
     * the processes, one {@code ip -batch} deleting their TAPs, {@code umount} each root, remove
     * the directories. Returns {halt+exit, TAP deletion, unmount, rm} in nanoseconds.
     */
    long[] teardown(Collection<Guest> list) {
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(list.size(), 32)));
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (Guest g : list) {
                fs.add(pool.submit(() -> {
                    if (g.shell != null) {
                        g.shell.close();
                        g.shell = null;
                    }
                    Host.run(TOOL_TIMEOUT, "uml_mconsole", g.socket(), "halt");
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
        }
        for (Guest g : list) {
            try {
                if (!g.process.waitFor(10, TimeUnit.SECONDS)) {
                    Host.kill(g.pid);
                    g.process.waitFor(10, TimeUnit.SECONDS);
                }
                // the guest's user processes (one host process each) go a moment after the
                // kernel's: its root is busy until then (a systemd guest has dozens)
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < until && Host.allPids().stream().anyMatch(p -> Host.session(p) == g.pid)) {
                    Host.sleep(5);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        long t1 = System.nanoTime();
        StringBuilder batch = new StringBuilder();
        List<String> gone = new ArrayList<>();
        for (Guest g : list) {
            for (String tap : g.taps) {
                batch.append("link del dev ").append(tap).append('\n');
                gone.add(tap);
            }
        }
        if (batch.length() > 0) {
            Host.Result r = Host.runWithInput(TOOL_TIMEOUT, batch.toString(), "ip", "-batch", "-");
            if (!r.ok()) {
                throw new IllegalStateException("ip -batch link del failed: " + r.out().trim());
            }
            links.removeAll(gone);
        }
        long t2 = System.nanoTime();
        for (Guest g : list) {
            Host.runChecked(TOOL_TIMEOUT, "umount", g.root.toString());
            g.mounted = false;
        }
        long t3 = System.nanoTime();
        for (Guest g : list) {
            Host.deleteTree(g.dir);
            guests.remove(g.name);
        }
        long t4 = System.nanoTime();
        return new long[] {t1 - t0, t2 - t1, t3 - t2, t4 - t3};
    }

    /**
     * Removes the baseline's guests, their TAPs and mounts (and its bridge when
     * {@code includeBridge}); never throws, reports into {@code problems}.
     */
    void cleanup(List<String> problems, boolean includeBridge) {
        for (Guest g : guests.values()) {
            try {
                if (g.shell != null) {
                    g.shell.close();
                }
                if (g.pid > 0 && Host.alive(g.pid)) {
                    Host.kill(g.pid);
                    if (g.process != null) {
                        g.process.waitFor(10, TimeUnit.SECONDS);
                    }
                }
            } catch (Exception e) {
                problems.add("bare guest " + g.name + ": " + e.getMessage());
            }
        }
        for (String link : List.copyOf(links)) {
            if (link.equals(bridge) && !includeBridge) {
                continue;
            }
            if (Host.linkExists(link)) {
                Host.Result r = Host.run(TOOL_TIMEOUT, "ip", "link", "del", "dev", link);
                if (!r.ok()) {
                    problems.add("ip link del " + link + ": " + r.out().trim());
                    continue;
                }
            }
            links.remove(link);
        }
        for (Path m : Host.mountsUnder(dir)) {
            if (!Host.umountLazy(m)) {
                problems.add("cannot unmount " + m);
            }
        }
        for (Guest g : guests.values()) {
            try {
                Host.deleteTree(g.dir);
            } catch (RuntimeException e) {
                problems.add("removing " + g.dir + ": " + e.getMessage());
            }
        }
        guests.clear();
    }

    void forget(Guest g) {
        guests.remove(g.name);
    }
}
