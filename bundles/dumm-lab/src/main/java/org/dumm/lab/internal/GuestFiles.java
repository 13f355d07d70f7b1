package org.dumm.lab.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.lab.Lab;
import org.dumm.lab.LabDevice;
import org.dumm.lab.LabFiles;

/**
 * What a lab puts into a device's diff before its first boot: its tree ({@code DEV/}; files win over
 * the master), the shared tree at {@code /shared}, the startup and shutdown files under
 * {@code /etc/dumm/lab/}, Dumm's {@code /etc/dumm/startup} that runs them at each boot, after the
 * interfaces are up, and {@code /etc/dumm/shutdown} for a graceful stop.
 */
final class GuestFiles {

    static final String LAB_DIR = "/etc/dumm/lab";
    static final String READY = "/run/dumm/lab.ready";

    private GuestFiles() {
    }

    static void write(Lab lab, LabDevice device, Path diff) {
        LabFiles own = device.files();
        LabFiles shared = lab.shared();
        try {
            if (own.files() != null) {
                copyTree(own.files(), diff);
            }
            if (shared.files() != null) {
                copyTree(shared.files(), diff.resolve("shared"));
            }
            Files.createDirectories(diff.resolve("shared"));
            Path labDir = diff.resolve(LAB_DIR.substring(1));
            Files.createDirectories(labDir);
            copyScript(shared.startup(), labDir.resolve("shared.startup"));
            copyScript(own.startup(), labDir.resolve(device.name() + ".startup"));
            copyScript(shared.shutdown(), labDir.resolve("shared.shutdown"));
            copyScript(own.shutdown(), labDir.resolve(device.name() + ".shutdown"));
            Path startup = diff.resolve("etc/dumm/startup");
            Files.writeString(startup, script(lab.name(), device), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(startup, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (shared.shutdown() != null || own.shutdown() != null) {
                Path shutdown = diff.resolve("etc/dumm/shutdown");
                Files.writeString(shutdown, shutdownScript(lab.name(), device), StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(shutdown, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot put the files of device " + device.name() + " into "
                    + diff + ": " + e.getMessage(), e);
        }
    }

    private static void copyScript(Path from, Path to) throws IOException {
        if (from != null) {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Dumm's {@code /etc/dumm/shutdown}, run by the mesh on a graceful stop: shared.shutdown, then
     * the device's own, with its shell and environment (Kathará's order).
     */
    static String shutdownScript(String lab, LabDevice d) {
        StringBuilder b = new StringBuilder();
        b.append("#!/bin/sh\n# Written by dumm-lab for device ").append(d.name()).append(" of lab ").append(lab)
                .append(": shared.shutdown, then ").append(d.name()).append(".shutdown.\n");
        env(b, d);
        b.append("[ -f ").append(LAB_DIR).append("/shared.shutdown ] && \"$SH\" ").append(LAB_DIR)
                .append("/shared.shutdown </dev/null\n");
        b.append("[ -f ").append(LAB_DIR).append('/').append(d.name()).append(".shutdown ] && \"$SH\" ").append(LAB_DIR)
                .append('/').append(d.name()).append(".shutdown </dev/null\nexit 0\n");
        return b.toString();
    }

    private static void env(StringBuilder b, LabDevice d) {
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(d.env()).entrySet()) {
            b.append("export ").append(e.getKey()).append('=').append(quote(e.getValue())).append("\n");
        }
        String shell = d.shell() != null ? d.shell() : "/bin/bash";
        b.append("SH=").append(quote(shell)).append("; [ -x \"$SH\" ] || SH=/bin/sh\n");
    }

    /** Kathará's settings at every start, then the device's own, as /proc/sys writes. */
    static List<String> sysctls(LabDevice d) {
        List<String> s = new ArrayList<>(List.of("net.ipv4.ip_forward=1", "net.ipv4.icmp_ratelimit=0",
                "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.lo.rp_filter=0"));
        if (Boolean.TRUE.equals(d.ipv6())) {
            s.addAll(List.of("net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.all.accept_ra=0",
                    "net.ipv6.conf.default.accept_ra=0", "net.ipv6.icmp.ratelimit=0"));
        } else if (Boolean.FALSE.equals(d.ipv6())) {
            s.addAll(List.of("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"));
        }
        s.addAll(d.sysctls());
        return s;
    }

    static String script(String lab, LabDevice d) {
        StringBuilder b = new StringBuilder();
        b.append("#!/bin/sh\n# Written by dumm-lab for device ").append(d.name()).append(" of lab ").append(lab)
                .append(": Kathara's settings, shared.startup, ").append(d.name()).append(".startup, exec options.\n");
        // shell built-ins where a test does: under UML every process costs milliseconds (bench item 12)
        b.append("[ -e ").append(READY).append(" ] && rm -f ").append(READY).append("\n");
        if (Boolean.TRUE.equals(d.ipv6())) {
            b.append("[ -d /proc/sys/net/ipv6 ] || modprobe ipv6 2>/dev/null\n");
        }
        for (String s : sysctls(d)) {
            int eq = s.indexOf('=');
            String path = "/proc/sys/" + s.substring(0, eq).replace('.', '/');
            b.append("[ -w ").append(path).append(" ] && echo ").append(quote(s.substring(eq + 1))).append(" >")
                    .append(path).append("\n");
        }
        env(b, d);
        b.append("[ -d /var/log ] || mkdir -p /var/log\n");
        b.append("[ -f ").append(LAB_DIR).append("/shared.startup ] && \"$SH\" ").append(LAB_DIR)
                .append("/shared.startup >/var/log/shared.log 2>&1 </dev/null\n");
        b.append("[ -f ").append(LAB_DIR).append('/').append(d.name()).append(".startup ] && \"$SH\" ").append(LAB_DIR)
                .append('/').append(d.name()).append(".startup >/var/log/startup.log 2>&1 </dev/null\n");
        for (String x : d.exec()) {
            b.append("\"$SH\" -c ").append(quote(x)).append(" >>/var/log/startup.log 2>&1 </dev/null\n");
        }
        b.append("[ -d /run/dumm ] || mkdir -p /run/dumm; : >").append(READY).append("\nexit 0\n");
        return b.toString();
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Copies a tree, symbolic links as links, keeping permissions; nothing when it is missing. */
    static void copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES,
                            LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }
}
