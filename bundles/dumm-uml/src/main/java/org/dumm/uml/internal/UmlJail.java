package org.dumm.uml.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.GuestSpec;

/**
 * The mount namespace a UML kernel runs in ({@code src/main/c/dumm-umljail.c}): its root holds
 * only the guest's root and run directory (writable), the kernel binary, its loader and C
 * library, {@code /proc/cpuinfo} (the kernel reads the host CPU's features there; without them
 * it panics at boot), {@code /dev/null} (its "null" console channel) and {@code /dev/net/tun}
 * (read-only; devices still open for writing), and a {@code /dev/shm} for the memory file. Why: a guest's
 * root user can mount any host path through hostfs ({@code mount -t hostfs none /mnt -o /etc});
 * in the jail such a mount finds only those. A template switch replaces the root's mount inside
 * ({@link #remount}), as the host's switch does not reach a namespace of its own.
 */
final class UmlJail {

    static final String RESOURCE = "dumm-umljail";
    /** What a jailed kernel reads of the host besides its root, run directory and binary. */
    private static final List<String> READ_ONLY = List.of("/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
            "/proc/cpuinfo", "/dev/null", "/dev/net/tun");
    /** Room in the jail's /dev/shm beyond the guest's memory file. */
    private static final int SHM_SPARE_MB = 64;
    private static volatile byte[] binary;

    private UmlJail() {
    }

    /** {@code <workDir>/uml/jail-HASH/dumm-umljail}, installed once per content. */
    static Path helper(Path workDir) {
        byte[] bin = binary == null ? (binary = resource()) : binary;
        Path dir = workDir.toAbsolutePath().resolve("uml").resolve("jail-" + sha256(bin));
        Path file = dir.resolve(RESOURCE);
        if (Files.isRegularFile(file)) {
            return file;
        }
        Path tmp = dir.resolveSibling("." + dir.getFileName() + "-" + UUID.randomUUID());
        try {
            Files.createDirectories(tmp);
            Files.write(tmp.resolve(RESOURCE), bin);
            Files.setPosixFilePermissions(tmp.resolve(RESOURCE), PosixFilePermissions.fromString("r-xr-xr-x"));
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileSystemException e) {
                if (!Files.isRegularFile(file)) { // else another start installed the same bytes first
                    throw e;
                }
                BootLayer.deleteTree(tmp);
            }
            return file;
        } catch (IOException e) {
            BootLayer.deleteTree(tmp);
            throw new DummException(Reason.HOST_ERROR, "installing " + file + ": " + e.getMessage());
        }
    }

    /** The command line that runs {@code kernelCommandLine} jailed; makes the (empty) jail directory. */
    static List<String> wrap(Path helper, GuestSpec spec, List<String> kernelCommandLine) {
        Path jail = spec.runDir().resolve("jail");
        try {
            Files.createDirectories(jail);
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot create " + jail + ": " + e.getMessage());
        }
        List<String> a = new ArrayList<>(List.of(helper.toString(), jail.toString(),
                "--rw", spec.runDir().toString(), "--rw", spec.root().toString(), "--ro", kernelCommandLine.get(0)));
        for (String p : READ_ONLY) {
            if (Files.exists(Path.of(p))) {
                a.add("--ro");
                a.add(p);
            }
        }
        a.add("--shm-mb");
        a.add(Integer.toString(spec.memoryMb() + SHM_SPARE_MB));
        a.add("--");
        a.addAll(kernelCommandLine);
        return a;
    }

    /** Whether {@code pid} runs in a mount namespace other than Dumm's (a jailed kernel). */
    static boolean isJailed(long pid) {
        try {
            return !Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/mnt"))
                    .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")));
        } catch (IOException e) {
            return false;
        }
    }

    /** Gives the jailed kernel {@code pid} the mount now at {@code path} on the host. */
    static void remount(Path helper, String guest, long pid, Path path) {
        org.dumm.nativ.RootSwitch.run(guest, helper, "--remount", Long.toString(pid), path.toString());
    }

    private static byte[] resource() {
        try (InputStream in = UmlJail.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new DummException(Reason.HOST_ERROR, RESOURCE + " is missing from the bundle; the build compiles it with gcc -static");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "reading " + RESOURCE + ": " + e.getMessage());
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
