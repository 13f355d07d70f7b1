package org.dumm.core.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/**
 * A guest's name inside its root: {@code /etc/hostname} and a {@code 127.0.1.1 NAME} line in
 * {@code /etc/hosts}, written into its diff before its first boot (a master made by debootstrap
 * carries the host's hostname). Files the diff already has — the guest's own or the user's
 * edits, a deletion too — are left alone; a loaded template's files are above the diff and win.
 * The init wrapper also sets the hostname before the master's init runs.
 */
final class GuestIdentity {

    private static final String DEFAULT_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

    private GuestIdentity() {
    }

    /** Writes the files into {@code diff} (not mounted) where it has none. */
    static void writeInto(Path diff, Path master, String name) {
        Path etc = diff.resolve("etc");
        try {
            Path hostname = etc.resolve("hostname");
            Path hosts = etc.resolve("hosts");
            boolean needName = !Files.exists(hostname, LinkOption.NOFOLLOW_LINKS);
            boolean needHosts = !Files.exists(hosts, LinkOption.NOFOLLOW_LINKS);
            if (!needName && !needHosts) {
                return;
            }
            Files.createDirectories(etc);
            if (needName) {
                Files.writeString(hostname, name + "\n");
            }
            if (needHosts) {
                Files.writeString(hosts, hostsFor(master.resolve("etc/hosts"), name));
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot write the hostname of guest '" + name + "' into " + etc
                    + ": " + e.getMessage(), e);
        }
    }

    /** The master's hosts file (or a minimal one) with its 127.0.1.1 line naming this guest. */
    static String hostsFor(Path masterHosts, String name) throws IOException {
        String base = Files.isRegularFile(masterHosts)
                ? new String(Files.readAllBytes(masterHosts), StandardCharsets.UTF_8) : DEFAULT_HOSTS;
        StringBuilder out = new StringBuilder();
        for (String line : base.split("\n", -1)) {
            if (!line.isEmpty() && !line.trim().startsWith("127.0.1.1")) {
                out.append(line).append('\n');
            }
        }
        return out.append("127.0.1.1\t").append(name).append('\n').toString();
    }
}
