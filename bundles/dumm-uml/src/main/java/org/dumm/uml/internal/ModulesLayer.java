package org.dumm.uml.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.KernelModules;

/**
 * A UML kernel's modules in its guests' roots: a read-only layer holding
 * {@code lib/modules/<release>/} (or {@code usr/lib/modules/<release>/} over a master whose
 * {@code /lib} is a link to {@code usr/lib}, as Debian's is: a real {@code lib/} directory above
 * it would hide the master's {@code /lib}). The files are hard links to the host's modules
 * (copies when the working directory is on another filesystem), made once per modules directory
 * and layout, under {@code <workDir>/uml/modules-<release>-<key>}, and never written again. A
 * guest's diff and its master never get a copy.
 *
 * <p>Debian's {@code user-mode-linux} package ships the modules of its {@code linux.uml} in
 * {@code /usr/lib/uml/modules/<release>}; the release is read from the kernel binary's
 * {@code Linux version} banner.
 */
final class ModulesLayer {

    static final Path DEBIAN_MODULES = Path.of("/usr/lib/uml/modules");
    private static final byte[] BANNER = "Linux version ".getBytes(StandardCharsets.US_ASCII);

    private record KernelFile(Path path, long size, long modified) {
    }

    /** Releases read from kernel binaries, by file identity: a 10 MB scan is worth keeping. */
    private static final Map<KernelFile, Optional<String>> RELEASES = new ConcurrentHashMap<>();

    private ModulesLayer() {
    }

    /** The modules for {@code kernel}: from {@code directory} if given, else Debian's, if there are any. */
    static Optional<KernelModules> find(Path kernel, Path directory) {
        Optional<String> release = release(kernel);
        if (directory != null) {
            if (!Files.isDirectory(directory)) {
                throw new DummException(Reason.NOT_FOUND, "modules directory " + directory + " does not exist");
            }
            if (release.isEmpty()) {
                throw new DummException(Reason.INVALID_ARGUMENT, "cannot tell the release of kernel " + kernel
                        + " (no 'Linux version' banner in it), so not where its modules go");
            }
            return Optional.of(new KernelModules(release.get(), directory.toAbsolutePath().normalize().toString()));
        }
        if (release.isEmpty()) {
            return Optional.empty();
        }
        Path debian = DEBIAN_MODULES.resolve(release.get());
        return Files.isDirectory(debian) ? Optional.of(new KernelModules(release.get(), debian.toString())) : Optional.empty();
    }

    /** The release in a kernel binary's banner, e.g. {@code 6.1.176}; empty if it has none. */
    static Optional<String> release(Path kernel) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(kernel, BasicFileAttributes.class);
        } catch (IOException e) {
            return Optional.empty();
        }
        KernelFile key = new KernelFile(kernel.toAbsolutePath().normalize(), a.size(), a.lastModifiedTime().toMillis());
        return RELEASES.computeIfAbsent(key, k -> scan(k.path()));
    }

    private static Optional<String> scan(Path kernel) {
        try (FileChannel ch = FileChannel.open(kernel, StandardOpenOption.READ)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            int limit = map.limit() - BANNER.length - 1;
            outer:
            for (int i = 0; i < limit; i++) {
                for (int k = 0; k < BANNER.length; k++) {
                    if (map.get(i + k) != BANNER[k]) {
                        continue outer;
                    }
                }
                // the banner itself, not a format string: the release starts with a digit
                int start = i + BANNER.length;
                int end = start;
                while (end < map.limit() && map.get(end) > ' ' && map.get(end) < 127 && end - start < 64) {
                    end++;
                }
                if (end > start && Character.isDigit(map.get(start))) {
                    byte[] r = new byte[end - start];
                    map.get(start, r);
                    return Optional.of(new String(r, StandardCharsets.US_ASCII));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The layer putting {@code modules} into roots over {@code master}; made on first use. */
    static Path prepare(Path workDir, KernelModules modules, Path master) {
        Path source = Path.of(modules.directory());
        String inRoot = libDir(master) + "/modules/" + modules.release();
        Path base = workDir.resolve("uml");
        Path layer = base.resolve("modules-" + modules.release() + "-" + key(source, inRoot));
        if (Files.isDirectory(layer)) {
            return layer;
        }
        Path tmp = base.resolve(".modules-" + UUID.randomUUID());
        try {
            Files.createDirectories(base);
            Path target = Files.createDirectories(tmp.resolve(inRoot));
            mirror(source, target);
            try {
                Files.move(tmp, layer, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new DummException(Reason.HOST_ERROR, "cannot rename " + tmp + " into place: " + e.getMessage());
            } catch (FileSystemException e) {
                // another guest of this kernel made the same layer first (rename onto a non-empty directory)
                if (!Files.isDirectory(layer)) {
                    throw e;
                }
                BootLayer.deleteTree(tmp);
            }
            return layer;
        } catch (IOException | UncheckedIOException e) {
            BootLayer.deleteTree(tmp);
            throw new DummException(Reason.HOST_ERROR, "preparing the modules layer of " + source + " under " + base
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where {@code lib} really is in the master: {@code lib}, or the target of its {@code /lib}
     * link ({@code usr/lib} in a merged-/usr root), without a leading slash.
     */
    static String libDir(Path master) {
        Path lib = master.resolve("lib");
        if (!Files.isSymbolicLink(lib)) {
            return "lib";
        }
        try {
            String target = Files.readSymbolicLink(lib).normalize().toString();
            while (target.startsWith("/")) {
                target = target.substring(1);
            }
            return target.isEmpty() || target.startsWith("..") ? "lib" : target;
        } catch (IOException e) {
            return "lib";
        }
    }

    /** Names a layer by what it is made from, so a changed modules directory gets a new one. */
    private static String key(Path source, String inRoot) {
        String stamp = "";
        try {
            BasicFileAttributes dep = Files.readAttributes(source.resolve("modules.dep"), BasicFileAttributes.class);
            stamp = dep.size() + ":" + dep.lastModifiedTime().toMillis();
        } catch (IOException e) {
            // no modules.dep (modprobe will say so in the guest): the path names it
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest((source + "|" + inRoot + "|" + stamp).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Hard links (or copies, across filesystems) of every file under {@code source}, in {@code target}. */
    private static void mirror(Path source, Path target) throws IOException {
        boolean link = true;
        List<Path> entries;
        try (Stream<Path> walk = Files.walk(source)) {
            entries = walk.toList();
        }
        for (Path p : entries) {
            Path dst = target.resolve(source.relativize(p).toString());
            if (p.equals(source)) {
                continue;
            }
            if (Files.isSymbolicLink(p)) {
                Files.createSymbolicLink(dst, Files.readSymbolicLink(p));
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(dst);
            } else if (link) {
                try {
                    Files.createLink(dst, p);
                } catch (FileSystemException e) {
                    link = false; // another filesystem: copy this and the rest
                    Files.copy(p, dst, StandardCopyOption.COPY_ATTRIBUTES);
                }
            } else {
                Files.copy(p, dst, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }
}
