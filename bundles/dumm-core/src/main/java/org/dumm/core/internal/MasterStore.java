package org.dumm.core.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Master;
import org.dumm.api.MasterRequest;
import org.dumm.api.Names;
import org.dumm.api.Progress;

/**
 * Master root filesystems under {@code masters/<name>/}; how each was built is kept beside it in
 * {@code masters/<name>.kind} so nothing of Dumm's shows inside the guests' roots.
 */
final class MasterStore {

    static final Path BUSYBOX = Path.of("/bin/busybox");

    private final Path mastersDir;

    MasterStore(Path workDir) {
        this.mastersDir = workDir.resolve("masters");
    }

    Path dir(String name) {
        return mastersDir.resolve(name);
    }

    boolean exists(String name) {
        return Files.isDirectory(dir(name)) && Files.isRegularFile(kindFile(name));
    }

    List<Master> list() {
        List<Master> masters = new ArrayList<>();
        if (!Files.isDirectory(mastersDir)) {
            return masters;
        }
        try (Stream<Path> s = Files.list(mastersDir)) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                if (Files.isDirectory(p) && exists(name)) {
                    masters.add(new Master(name, p.toString(), sizeOf(p), Files.readString(kindFile(name)).trim()));
                }
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot list masters in " + mastersDir + ": " + e.getMessage(), e);
        }
        return masters;
    }

    Optional<Master> get(String name) {
        return list().stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /** Builds a master; on failure its half-built directory is removed. */
    synchronized Master create(MasterRequest request, Progress progress) {
        String name = Names.check("master", request.name());
        if (request.kind() == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, "master kind missing: --busybox or --debootstrap SUITE");
        }
        if (Files.exists(dir(name))) {
            throw new DummException(Reason.ALREADY_EXISTS, "master '" + name + "' already exists");
        }
        Path target = dir(name);
        try {
            Files.createDirectories(target);
            String kind;
            if (request.kind() == MasterRequest.Kind.BUSYBOX) {
                buildBusybox(target, progress);
                kind = "busybox";
            } else {
                buildDebootstrap(target, request, progress);
                kind = "debootstrap:" + request.suite();
            }
            Files.writeString(kindFile(name), kind + "\n");
            progress.report("master '" + name + "' ready (" + (sizeOf(target) >> 20) + " MB)");
            return get(name).orElseThrow();
        } catch (IOException | RuntimeException e) {
            deleteTree(target);
            try {
                Files.deleteIfExists(kindFile(name));
            } catch (IOException ignored) {
                // best effort: the directory is what matters
            }
            if (e instanceof DummException de) {
                throw de;
            }
            throw new DummException(Reason.HOST_ERROR, "building master '" + name + "' failed: " + e.getMessage(), e);
        }
    }

    synchronized void delete(String name) {
        deleteTree(dir(name));
        try {
            Files.deleteIfExists(kindFile(name));
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot delete master '" + name + "': " + e.getMessage(), e);
        }
    }

    private Path kindFile(String name) {
        return mastersDir.resolve(name + ".kind");
    }

    /**
     * A root made of Debian's static busybox: every applet as a symlink, an inittab that runs a
     * shell on the interactive console (tty1) and leaves the exec agent's tty alone, and a
     * ctrl-alt-del action so a graceful stop powers the guest off.
     */
    static void buildBusybox(Path root, Progress progress) throws IOException {
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
        Path rcS = root.resolve("etc/init.d/rcS");
        Files.writeString(rcS, """
                #!/bin/sh
                # Mount what a busybox userland expects, unless the Dumm init wrapper already did
                # (this busybox has no mountpoint applet: test for what each mount provides).
                [ -e /proc/self ] || mount -t proc proc /proc
                [ -d /sys/class ] || mount -t sysfs sysfs /sys
                grep -q ' /tmp ' /proc/mounts || mount -t tmpfs tmpfs /tmp
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

    /** Runs debootstrap (a builder, not a host driver, so a process is the right tool here). */
    private static void buildDebootstrap(Path root, MasterRequest request, Progress progress) throws IOException {
        String suite = request.suite();
        if (suite == null || !suite.matches("[a-z][a-z0-9-]*")) {
            throw new DummException(Reason.INVALID_ARGUMENT, "Debian suite '" + suite + "' is invalid (e.g. bookworm)");
        }
        for (String pkg : request.packages()) {
            if (!pkg.matches("[a-z0-9][a-z0-9+.-]+")) {
                throw new DummException(Reason.INVALID_ARGUMENT, "package name '" + pkg + "' is invalid");
            }
        }
        Path debootstrap = Path.of("/usr/sbin/debootstrap");
        if (!Files.isExecutable(debootstrap)) {
            throw new DummException(Reason.NOT_FOUND, "debootstrap is missing: apt-get install debootstrap");
        }
        List<String> cmd = new ArrayList<>(List.of(debootstrap.toString(), "--variant=minbase"));
        List<String> include = new ArrayList<>(List.of("iproute2", "iputils-ping", "procps"));
        include.addAll(request.packages());
        cmd.add("--include=" + String.join(",", include));
        cmd.add(suite);
        cmd.add(root.toString());
        mirror().ifPresent(cmd::add);
        progress.report("running " + String.join(" ", cmd));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> tail = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("I: ")) {
                    progress.report(line.substring(3));
                }
                tail.add(line);
                if (tail.size() > 20) {
                    tail.remove(0);
                }
            }
        }
        try {
            if (p.waitFor() != 0) {
                throw new DummException(Reason.HOST_ERROR, "debootstrap failed: " + String.join(" / ", tail));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new DummException(Reason.HOST_ERROR, "interrupted while building master");
        }
        // Guests get their root from hostfs: nothing to mount from fstab, and no serial getty.
        Files.writeString(root.resolve("etc/fstab"), "");
    }

    /** The Debian mirror the host's apt uses, so debootstrap reaches the same repository. */
    private static Optional<String> mirror() {
        List<Path> sources = new ArrayList<>();
        sources.add(Path.of("/etc/apt/sources.list"));
        try (Stream<Path> s = Files.list(Path.of("/etc/apt/sources.list.d"))) {
            s.forEach(sources::add);
        } catch (IOException ignored) {
            // no sources.list.d
        }
        for (Path f : sources) {
            try {
                for (String line : Files.readAllLines(f)) {
                    line = line.trim();
                    if (line.startsWith("deb ") && !line.contains("security")) {
                        for (String word : line.split("\\s+")) {
                            if (word.startsWith("http")) {
                                return Optional.of(word);
                            }
                        }
                    }
                    if (line.startsWith("URIs:") && !line.contains("security")) {
                        return Optional.of(line.substring(5).trim().split("\\s+")[0]);
                    }
                }
            } catch (IOException ignored) {
                // unreadable source file: try the next one
            }
        }
        return Optional.empty();
    }

    static long sizeOf(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
