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

/**
 * What a lab puts into a device's diff before its first boot: the tree {@code DEV/} (files win over
 * the master), {@code shared/} at {@code /shared}, the startup files under {@code /etc/dumm/lab/},
 * and Dumm's {@code /etc/dumm/startup} that runs them at each boot, after the interfaces are up.
 */
final class GuestFiles {

    static final String LAB_DIR = "/etc/dumm/lab";
    static final String READY = "/run/dumm/lab.ready";

    private GuestFiles() {
    }

    static void write(Lab lab, LabDevice device, Path diff) {
        Path src = lab.source();
        try {
            copyTree(src.resolve(device.name()), diff);
            copyTree(src.resolve("shared"), diff.resolve("shared"));
            Files.createDirectories(diff.resolve("shared"));
            Path labDir = diff.resolve(LAB_DIR.substring(1));
            Files.createDirectories(labDir);
            for (String f : List.of("shared.startup", device.name() + ".startup", "shared.shutdown",
                    device.name() + ".shutdown")) {
                Path s = src.resolve(f);
                if (Files.isRegularFile(s)) {
                    Files.copy(s, labDir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Path startup = diff.resolve("etc/dumm/startup");
            Files.writeString(startup, script(lab.name(), device), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(startup, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot put the files of device " + device.name() + " into "
                    + diff + ": " + e.getMessage(), e);
        }
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
        b.append("rm -f ").append(READY).append("\n");
        if (Boolean.TRUE.equals(d.ipv6())) {
            b.append("[ -d /proc/sys/net/ipv6 ] || modprobe ipv6 2>/dev/null\n");
        }
        for (String s : sysctls(d)) {
            int eq = s.indexOf('=');
            String path = "/proc/sys/" + s.substring(0, eq).replace('.', '/');
            b.append("[ -w ").append(path).append(" ] && echo ").append(quote(s.substring(eq + 1))).append(" >")
                    .append(path).append("\n");
        }
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(d.env()).entrySet()) {
            b.append("export ").append(e.getKey()).append('=').append(quote(e.getValue())).append("\n");
        }
        String shell = d.shell() != null ? d.shell() : "/bin/bash";
        b.append("SH=").append(quote(shell)).append("; [ -x \"$SH\" ] || SH=/bin/sh\n");
        b.append("mkdir -p /var/log\n");
        b.append("[ -f ").append(LAB_DIR).append("/shared.startup ] && \"$SH\" ").append(LAB_DIR)
                .append("/shared.startup >/var/log/shared.log 2>&1 </dev/null\n");
        b.append("[ -f ").append(LAB_DIR).append('/').append(d.name()).append(".startup ] && \"$SH\" ").append(LAB_DIR)
                .append('/').append(d.name()).append(".startup >/var/log/startup.log 2>&1 </dev/null\n");
        for (String x : d.exec()) {
            b.append("\"$SH\" -c ").append(quote(x)).append(" >>/var/log/startup.log 2>&1 </dev/null\n");
        }
        b.append("mkdir -p /run/dumm; : >").append(READY).append("\nexit 0\n");
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
