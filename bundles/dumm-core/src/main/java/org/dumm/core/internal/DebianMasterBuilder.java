package org.dumm.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.MasterRequest;
import org.dumm.api.Progress;

/**
 * Builds a Debian master with debootstrap and makes it fit for a UML guest. debootstrap is a
 * builder, not a host driver, so a process is the right tool; it runs in a private mount
 * namespace ({@code unshare --mount}) so the /proc and /sys it mounts inside the new root vanish
 * with it, also when it is killed half-way.
 */
final class DebianMasterBuilder {

    /**
     * Version of what {@link #makeUmlReady} does to a root: part of every cache key for built
     * masters (tests, CI), so a change here makes them rebuild. Bump it with any change below.
     */
    static final String RECIPE = "uml-ready-1";

    /** Packages every Debian master gets: what address setup uses, and modprobe for the kernel's modules. */
    static final List<String> BASE_PACKAGES = List.of("iproute2", "iputils-ping", "procps", "kmod");

    private static final Path DEBOOTSTRAP = Path.of("/usr/sbin/debootstrap");
    private static final Path UNSHARE = Path.of("/usr/bin/unshare");

    private DebianMasterBuilder() {
    }

    /** Checks the request before anything is created; returns the mirror to use, if any. */
    static Optional<String> validate(MasterRequest request, Path etcApt) {
        String suite = request.suite();
        if (suite == null || !suite.matches("[a-z][a-z0-9-]*")) {
            throw new DummException(Reason.INVALID_ARGUMENT, "Debian suite '" + suite + "' is invalid (e.g. bookworm)");
        }
        for (String pkg : request.packages()) {
            if (!pkg.matches("[a-z0-9][a-z0-9+.-]+")) {
                throw new DummException(Reason.INVALID_ARGUMENT, "package name '" + pkg + "' is invalid");
            }
        }
        if (!Files.isExecutable(DEBOOTSTRAP)) {
            throw new DummException(Reason.NOT_FOUND, "debootstrap is missing: apt-get install debootstrap");
        }
        if (!Files.exists(Path.of("/usr/share/debootstrap/scripts", suite))) {
            throw new DummException(Reason.NOT_FOUND, "debootstrap knows no suite '" + suite
                    + "' (scripts in /usr/share/debootstrap/scripts; a newer debootstrap may)");
        }
        String mirror = request.mirror();
        if (mirror != null) {
            if (!mirror.matches("(https?|file)://[^\\s'\"]+")) {
                throw new DummException(Reason.INVALID_ARGUMENT, "mirror '" + mirror + "' is not an http(s):// or file:// URL");
            }
            return Optional.of(mirror);
        }
        return AptSources.mirrorFor(suite, etcApt);
    }

    /** debootstrap into {@code root} (which exists and is empty), then {@link #makeUmlReady}. */
    static void build(Path root, MasterRequest request, Optional<String> mirror, Progress progress) throws IOException {
        Set<String> include = new LinkedHashSet<>(BASE_PACKAGES);
        include.addAll(request.packages());
        List<String> cmd = new ArrayList<>(List.of(UNSHARE.toString(), "--mount", "--propagation", "private",
                DEBOOTSTRAP.toString(), "--variant=minbase", "--include=" + String.join(",", include),
                request.suite(), root.toString()));
        mirror.ifPresent(cmd::add);
        progress.report("debootstrap " + request.suite() + " from " + mirror.orElse("debootstrap's default mirror")
                + " with " + String.join(",", include));
        HostCommand.check("debootstrap", cmd, null, line -> {
            if (line.startsWith("I: Retrieving") || line.startsWith("I: Validating") || line.startsWith("I: Resolving")
                    || line.startsWith("I: Extracting") || line.startsWith("I: Installing") || line.startsWith("I: Configuring")
                    || line.startsWith("I: Unpacking") || line.startsWith("I: Base system") || line.startsWith("E: ")
                    || line.startsWith("W: ")) {
                progress.report(line.startsWith("I: ") ? line.substring(3) : line);
            }
        });
        makeUmlReady(root, progress);
    }

    /**
     * What a Debian root needs to boot well as a UML guest on a hostfs root: no fstab mounts (the
     * root is not a block device), no serial getty (UML's consoles are ttys; systemd would start a
     * getty on a serial line that waits forever), root without a password on the console (a
     * lab's console is the user's own), iptables and ip6tables as the legacy variant (Debian's UML
     * kernel has no nftables for ip/ip6/inet, so the default nft variant fails), and no package
     * files left in apt's cache. Also applied to imported Debian roots.
     */
    static void makeUmlReady(Path root, Progress progress) throws IOException {
        Path etc = root.resolve("etc");
        if (!Files.isDirectory(etc)) {
            return;
        }
        Files.writeString(etc.resolve("fstab"), "# Dumm: a guest's root is its hostfs union; nothing to mount here\n");
        Path shadow = etc.resolve("shadow");
        if (Files.isRegularFile(shadow)) {
            List<String> lines = new ArrayList<>();
            for (String l : Files.readAllLines(shadow)) {
                if (l.startsWith("root:")) {
                    String[] f = l.split(":", -1);
                    f[1] = "";
                    l = String.join(":", f);
                }
                lines.add(l);
            }
            Files.write(shadow, lines);
        }
        Path systemd = root.resolve("lib/systemd/system/serial-getty@.service");
        if (Files.exists(systemd, LinkOption.NOFOLLOW_LINKS)) {
            Path mask = etc.resolve("systemd/system/serial-getty@.service");
            Files.createDirectories(mask.getParent());
            Files.deleteIfExists(mask);
            Files.createSymbolicLink(mask, Path.of("/dev/null"));
        }
        for (String tool : List.of("iptables", "ip6tables")) {
            if (Files.isExecutable(root.resolve("usr/sbin/" + tool + "-legacy"))
                    && Files.exists(root.resolve("var/lib/dpkg/alternatives/" + tool))) {
                HostCommand.check("update-alternatives for " + tool, List.of("/usr/sbin/chroot", root.toString(),
                        "update-alternatives", "--set", tool, "/usr/sbin/" + tool + "-legacy"), null, line -> { });
                progress.report(tool + ": legacy variant (the UML kernel has no nftables for ip/ip6)");
            }
        }
        Path archives = root.resolve("var/cache/apt/archives");
        if (Files.isDirectory(archives)) {
            try (Stream<Path> s = Files.list(archives)) {
                for (Path deb : s.filter(p -> p.toString().endsWith(".deb")).toList()) {
                    Files.deleteIfExists(deb);
                }
            }
        }
    }
}
