package org.dumm.uml.internal;

import static org.junit.Assume.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import jnr.ffi.Pointer;

import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.GuestSpec;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.Native;
import org.dumm.nativ.Pty;
import org.junit.Test;

/**
 * OPT-IN benchmark, never an assertion: {@code -Ddumm.bench=true}. Compares, on the same kernel,
 * master and memory, in one run:
 * <ul>
 * <li>Dumm's start() until exec-ready, against a bare linux.uml (same in-process spawn, no
 * agent) whose init is a shell loop reading commands from tty7, until that loop answers;</li>
 * <li>exec round trip of {@code true} through the agent, against the bare shell loop's round
 * trip (read/eval, no new process per command).</li>
 * </ul>
 */
public class UmlBench {

    private static final int BOOTS = Integer.getInteger("dumm.bench.boots", 5);
    private static final int EXECS = Integer.getInteger("dumm.bench.execs", 300);

    @Test
    public void bench() throws Exception {
        assumeTrue("set -Ddumm.bench=true to run", Boolean.getBoolean("dumm.bench"));
        Path scratch = Fixtures.scratch();
        UmlBackend backend = new UmlBackend();
        try {
            Path layer = backend.bootLayer(scratch.resolve("work"));
            Path master = Fixtures.busyboxMaster(scratch.resolve("master"));
            Path bareLayer = Files.createDirectories(scratch.resolve("bare-layer"));
            Path bareInit = bareLayer.resolve("bare-init");
            Files.writeString(bareInit, "#!/bin/sh\n"
                    + "mount -t proc proc /proc\n"
                    + "exec </dev/tty7 >/dev/tty7 2>&1\n"
                    + "stty raw -echo\n"
                    + "while read -r line; do eval \"$line\"; done\n");
            Files.setPosixFilePermissions(bareInit, PosixFilePermissions.fromString("rwxr-xr-x"));

            List<Long> dumm = new ArrayList<>();
            List<Long> bare = new ArrayList<>();
            List<Long> execDumm = new ArrayList<>();
            List<Long> execIdle = new ArrayList<>();
            List<Long> execBare = new ArrayList<>();
            for (int i = 0; i < BOOTS; i++) {
                try (Fixtures.Union u = new Fixtures.Union(scratch.resolve("d" + i), layer, master)) {
                    GuestSpec spec = Fixtures.spec("dmvbench", u.root, scratch.resolve("d" + i + "-run"));
                    long t0 = System.nanoTime();
                    GuestHandle g = backend.start(spec);
                    dumm.add(System.nanoTime() - t0);
                    if (i == 0) {
                        Thread.sleep(500); // let init settle
                        for (int k = 0; k < EXECS; k++) {
                            long s = System.nanoTime();
                            g.exec("true", Duration.ofSeconds(10));
                            execDumm.add(System.nanoTime() - s);
                        }
                        for (int k = 0; k < 50; k++) {
                            Thread.sleep(30); // room for the agent's spare shells
                            long s = System.nanoTime();
                            g.exec("true", Duration.ofSeconds(10));
                            execIdle.add(System.nanoTime() - s);
                        }
                    }
                    g.kill();
                }
                try (Fixtures.Union u = new Fixtures.Union(scratch.resolve("b" + i), bareLayer, master)) {
                    bare.add(bareBoot(u.root, scratch.resolve("b" + i + "-run"), i == 0 ? execBare : null));
                }
            }
            System.out.println();
            System.out.println("| what | median | min | max |");
            System.out.println("|---|---|---|---|");
            row("Dumm start() -> exec-ready (" + BOOTS + " boots)", dumm);
            row("bare linux.uml -> shell loop answers", bare);
            row("Dumm exec 'true', back to back (" + EXECS + ")", execDumm);
            row("Dumm exec 'true', 30 ms apart (50)", execIdle);
            row("bare read/eval loop 'true' (" + EXECS + ")", execBare);
            System.out.printf("p99: Dumm back to back %.2f ms, 30 ms apart %.2f ms, bare %.2f ms%n",
                    pct(execDumm, 99), pct(execIdle, 99), pct(execBare, 99));
            System.out.printf("ratio boot Dumm/bare (medians): %.2f%n", pct(dumm, 50) / pct(bare, 50));
        } finally {
            backend.deactivate();
            Fixtures.killLeftovers("dmvbench");
            Fixtures.killLeftovers("dmvbare");
            BootLayer.deleteTree(scratch);
        }
    }

    /** Boots linux.uml with the same spawn, runs the loop; returns launch -> first answer in ns. */
    private static long bareBoot(Path root, Path runDir, List<Long> execs) throws Exception {
        Files.createDirectories(runDir);
        GuestSpec s = Fixtures.spec("dmvbare", root, runDir);
        List<String> argv = List.of(s.kernel().toString(), "umid=dmvbare", "uml_dir=" + runDir, "mem=64M",
                "rootfstype=hostfs", "rootflags=" + root, "rw", "init=/bare-init", "con=null", "con0=null,fd:1",
                "con7=fd:3", "ssl=null");
        try (Pty pty = Pty.open()) {
            long t0 = System.nanoTime();
            int pid = Spawner.spawn(argv, List.of("PATH=/usr/bin:/bin", XstateShim.preload(XstateShim.installIn(runDir))),
                    runDir.resolve("console.log").toString(), "/",
                    new int[] {pty.master(), pty.terminal()}, true, 0, -1);
            int fd = pty.terminal();
            try {
                // ask until the loop answers: the first lines may be eaten before it set raw mode
                long answered = -1;
                while (answered < 0 && System.nanoTime() - t0 < 60_000_000_000L) {
                    write(fd, "echo @ok\n");
                    if (readUntil(fd, "@ok", 20)) {
                        answered = System.nanoTime() - t0;
                    }
                }
                if (execs != null) {
                    Thread.sleep(500);
                    while (readUntil(fd, "\u0000never", 50)) {
                        // drain
                    }
                    for (int k = 0; k < EXECS; k++) {
                        long st = System.nanoTime();
                        write(fd, "true; echo @" + k + "\n");
                        readUntil(fd, "@" + k, 5000);
                        execs.add(System.nanoTime() - st);
                    }
                }
                return answered;
            } finally {
                Native.libc().kill(-pid, Fcntl.SIGKILL); // our child, unreaped: the group id is exact
                Native.libc().waitpid(pid, new jnr.ffi.byref.IntByReference(), 0);
                Fixtures.awaitNoProcesses("dmvbare", 5000);
                seen.setLength(0);
                BootLayer.deleteTree(runDir);
            }
        }
    }

    private static void write(int fd, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        Pointer p = Native.allocate(b.length);
        p.put(0, b, 0, b.length);
        Native.libc().write(fd, p, b.length);
    }

    private static final StringBuilder seen = new StringBuilder();

    private static boolean readUntil(int fd, String want, int millis) {
        Pointer pfd = Native.allocate(8);
        Pointer buf = Native.allocate(4096);
        long end = System.nanoTime() + millis * 1_000_000L;
        while (true) {
            int at = seen.indexOf(want);
            if (at >= 0) {
                seen.delete(0, at + want.length());
                return true;
            }
            long left = (end - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            pfd.putInt(0, fd);
            pfd.putShort(4, Fcntl.POLLIN);
            pfd.putShort(6, (short) 0);
            if (Native.libc().poll(pfd, 1, (int) left) > 0) {
                long n = Native.libc().read(fd, buf, 4096);
                if (n > 0) {
                    byte[] b = new byte[(int) n];
                    buf.get(0, b, 0, b.length);
                    seen.append(new String(b, StandardCharsets.ISO_8859_1));
                }
            }
        }
    }

    private static void row(String what, List<Long> ns) {
        List<Long> s = new ArrayList<>(ns);
        Collections.sort(s);
        System.out.printf("| %s | %.2f ms | %.2f ms | %.2f ms |%n", what, pct(ns, 50),
                s.get(0) / 1e6, s.get(s.size() - 1) / 1e6);
    }

    private static double pct(List<Long> ns, int p) {
        List<Long> s = new ArrayList<>(ns);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1)) / 1e6;
    }
}
