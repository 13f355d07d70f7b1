package org.dumm.core.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Progress;

/** Builds the tiny master of Debian's busybox-static: seconds, and a guest boots in about one. */
final class BusyboxMasterBuilder {

    static final Path BUSYBOX = Path.of("/bin/busybox");

    private BusyboxMasterBuilder() {
    }

    /**
     * A root made of Debian's static busybox: every applet as a symlink, an inittab that runs a
     * shell on the interactive console (tty1) and leaves the exec agent's tty alone, and a
     * ctrl-alt-del action so a graceful stop powers the guest off.
     */
    static void build(Path root, Progress progress) throws IOException {
        if (!Files.isExecutable(BUSYBOX)) {
            throw new DummException(Reason.NOT_FOUND, BUSYBOX + " is missing: apt-get install busybox-static");
        }
        progress.report("building busybox master in " + root);
        for (String d : List.of("bin", "sbin", "usr/bin", "usr/sbin", "etc/init.d", "proc", "sys", "dev", "tmp",
                "root", "run", "var/log", "var/run", "mnt")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.setPosixFilePermissions(root.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.copy(BUSYBOX, root.resolve("bin/busybox"));
        Files.setPosixFilePermissions(root.resolve("bin/busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String applet : busyboxApplets()) {
            if (applet.equals("busybox") || applet.contains("/") || applet.startsWith(".")) {
                continue;
            }
            Path link = root.resolve("bin").resolve(applet);
            if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, Path.of("busybox"));
            }
        }
        Files.createSymbolicLink(root.resolve("sbin/init"), Path.of("/bin/busybox"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\n");
        Files.writeString(root.resolve("etc/shadow"), "root::0:0:99999:7:::\n");
        Files.writeString(root.resolve("etc/hosts"), "127.0.0.1 localhost\n::1 localhost\n");
        Files.writeString(root.resolve("etc/fstab"), "");
        Files.writeString(root.resolve("etc/profile"), "export PATH=/bin:/sbin:/usr/bin:/usr/sbin\nexport PS1='\\h:\\w# '\n");
        Files.writeString(root.resolve("etc/inittab"), """
                ::sysinit:/etc/init.d/rcS
                tty1::respawn:-/bin/sh
                ::ctrlaltdel:/bin/poweroff -f
                ::shutdown:/bin/sync
                """);
        // No tmpfs on /tmp: the agent answers, and the guest's startup runs, while init may still
        // be in this script, so a tmpfs mounted here hid what a startup had just written to /tmp
        // (seen in CI: a lab's shared.startup output gone).
        Path rcS = root.resolve("etc/init.d/rcS");
        Files.writeString(rcS, """
                #!/bin/sh
                # Mount what a busybox userland expects, unless the Dumm init wrapper already did
                # (this busybox has no mountpoint applet: test for what each mount provides).
                # /tmp stays on the guest's own layer, as in Netkit and Kathará.
                [ -e /proc/self ] || mount -t proc proc /proc
                [ -d /sys/class ] || mount -t sysfs sysfs /sys
                ip link set lo up
                """);
        Files.setPosixFilePermissions(rcS, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static List<String> busyboxApplets() throws IOException {
        Process p = new ProcessBuilder(BUSYBOX.toString(), "--list").redirectErrorStream(true).start();
        List<String> applets;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            applets = r.lines().map(String::trim).filter(s -> !s.isEmpty()).toList();
        }
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("busybox --list failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return applets;
    }

}
