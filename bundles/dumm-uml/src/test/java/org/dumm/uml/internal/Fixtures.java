package org.dumm.uml.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.dumm.api.spi.GuestSpec;
import org.dumm.api.spi.InterfaceSpec;
import org.dumm.nativ.Mounts;
import org.dumm.nativ.Native;

/**
 * Real parts for the backend tests: a busybox master built from busybox-static, a per-guest
 * overlay root (boot layer : master, private upper), TAP devices made with {@code ip} (test
 * fixtures only; product code never spawns it), and a look at what processes are left.
 * Every name starts with "dmv".
 */
final class Fixtures {

    static final Path KERNEL = Path.of(System.getProperty("dumm.test.kernel", "/usr/bin/linux.uml"));
    static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);

    private Fixtures() {
    }

    /** A fresh scratch directory for one test class. */
    static Path scratch() throws IOException {
        return Files.createDirectories(Path.of("/tmp", "dmv-uml-" + UUID.randomUUID().toString().substring(0, 8)));
    }

    /**
     * Builds a busybox master: /bin/busybox, a symlink per applet where busybox puts it, the
     * usual empty directories, root in passwd/group, and an inittab that keeps a shell on the
     * interactive console (tty1) and leaves tty7 to the agent.
     */
    static Path busyboxMaster(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        for (String d : List.of("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "etc", "root",
                "run", "var/log")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.copy(Path.of("/bin/busybox"), dir.resolve("bin/busybox"));
        Process p = new ProcessBuilder("/bin/busybox", "--list-full").redirectErrorStream(true).start();
        List<String> applets = Arrays.asList(new String(p.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8).split("\n"));
        if (p.waitFor() != 0) {
            throw new IOException("busybox --list-full failed");
        }
        for (String a : applets) {
            a = a.strip();
            if (a.isEmpty() || a.equals("bin/busybox")) {
                continue;
            }
            Path link = dir.resolve(a);
            Files.createDirectories(link.getParent());
            Path target = link.getParent().relativize(dir.resolve("bin/busybox"));
            if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, target);
            }
        }
        Files.writeString(dir.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(dir.resolve("etc/group"), "root:x:0:\n");
        Files.writeString(dir.resolve("etc/hostname"), "dmv\n");
        Files.writeString(dir.resolve("etc/inittab"), """
                ::sysinit:/bin/hostname -F /etc/hostname
                tty1::respawn:-/bin/sh
                ::ctrlaltdel:/sbin/poweroff
                ::shutdown:/bin/sync
                """);
        return dir;
    }

    /** An overlay root: lowers {@code layers} (top first), upper and work under {@code dir}. */
    static final class Union implements AutoCloseable {
        final Path dir;
        final Path root;
        final Path upper;

        Union(Path dir, Path... layers) throws IOException {
            this.dir = dir;
            this.upper = Files.createDirectories(dir.resolve("diff"));
            Path work = Files.createDirectories(dir.resolve("work"));
            this.root = Files.createDirectories(dir.resolve("union"));
            StringBuilder lower = new StringBuilder();
            for (Path l : layers) {
                lower.append(lower.length() == 0 ? "" : ":").append(l);
            }
            String opts = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
            Native.check(Native.libc().mount("overlay", root.toString(), "overlay", 0, opts), "mounting " + root);
        }

        @Override
        public void close() {
            Native.libc().umount2(root.toString(), Mounts.MNT_DETACH);
            BootLayer.deleteTree(dir);
        }
    }

    static GuestSpec spec(String name, Path root, Path runDir, InterfaceSpec... ifaces) {
        return new GuestSpec(name, KERNEL, root, runDir, 64, List.of(), List.of(ifaces), BOOT_TIMEOUT, 0);
    }

    static GuestSpec withKernel(GuestSpec s, Path kernel) {
        return new GuestSpec(s.name(), kernel, s.root(), s.runDir(), s.memoryMb(), s.extraArgs(), s.interfaces(),
                s.bootTimeout(), s.nice());
    }

    static GuestSpec withTimeout(GuestSpec s, Duration boot) {
        return new GuestSpec(s.name(), s.kernel(), s.root(), s.runDir(), s.memoryMb(), s.extraArgs(), s.interfaces(),
                boot, s.nice());
    }

    static void createTap(String name) throws IOException, InterruptedException {
        run("ip", "tuntap", "add", "dev", name, "mode", "tap");
    }

    static void deleteTap(String name) {
        try {
            if (Files.exists(Path.of("/sys/class/net", name))) {
                run("ip", "link", "del", name);
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("could not delete TAP " + name, e);
        }
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
    }

    /** Pids of every process whose arguments say it belongs to UML guest {@code umid}. */
    static List<Integer> processesOf(String umid) throws IOException {
        List<Integer> pids = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : procs) {
                String n = p.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                int pid = Integer.parseInt(n);
                if (ProcessTools.cmdline(pid).contains("umid=" + umid) && ProcessTools.isRunning(pid)) {
                    pids.add(pid);
                }
            }
        }
        return pids;
    }

    /** Waits up to {@code millis} for every process of {@code umid} to be gone. */
    static List<Integer> awaitNoProcesses(String umid, long millis) throws IOException, InterruptedException {
        long end = System.currentTimeMillis() + millis;
        List<Integer> left = processesOf(umid);
        while (!left.isEmpty() && System.currentTimeMillis() < end) {
            Thread.sleep(50);
            left = processesOf(umid);
        }
        return left;
    }

    /** Files under {@code dir} (recursively), for "nothing left behind" checks. */
    static List<Path> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (var s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).toList();
        }
    }

    /** Kills what a failed test may have left (by pid, only processes of our own guests). */
    static void killLeftovers(String umid) throws IOException {
        for (int pid : processesOf(umid)) {
            Native.libc().kill(pid, 9);
        }
    }
}
