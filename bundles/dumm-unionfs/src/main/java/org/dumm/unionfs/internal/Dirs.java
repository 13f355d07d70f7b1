package org.dumm.unionfs.internal;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/** Directory helpers: canonical paths, creation that can be undone, and careful deletion. */
final class Dirs {

    /** What overlayfs leaves in a work directory: {@code work/}, and with some features {@code index/}, {@code incompat/}. */
    private static final Set<String> WORK_STATE = Set.of("work", "index", "incompat");

    private Dirs() {
    }

    /**
     * The path the kernel will print for {@code p} in mountinfo: absolute, with symlinks of its
     * existing part resolved; the missing tail is appended as given.
     */
    static Path canonical(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Deque<Path> missing = new ArrayDeque<>();
        Path existing = abs;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            missing.push(existing.getFileName());
            existing = existing.getParent();
        }
        try {
            Path real = existing == null ? abs.getRoot() : existing.toRealPath();
            while (!missing.isEmpty()) {
                real = real.resolve(missing.pop());
            }
            return real;
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "resolving " + p + ": " + e.getMessage(), e);
        }
    }

    /** Device number of the filesystem holding {@code p} (its nearest existing ancestor). */
    static long device(Path p) {
        Path existing = p;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        try {
            return ((Number) Files.getAttribute(existing, "unix:dev", LinkOption.NOFOLLOW_LINKS)).longValue();
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "reading " + existing + ": " + e.getMessage(), e);
        }
    }

    /** Directories made by one operation, removed again if the operation fails. */
    static final class Created {
        private final List<Path> roots = new ArrayList<>();

        /** Creates {@code dir} and missing parents, remembering the topmost one it made. */
        void mkdirs(Path dir) {
            Path first = dir;
            while (first.getParent() != null && !Files.exists(first.getParent(), LinkOption.NOFOLLOW_LINKS)) {
                first = first.getParent();
            }
            boolean existed = Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new DummException(Reason.HOST_ERROR, "creating " + dir + ": " + e, e);
            }
            if (!existed) {
                roots.add(first);
            }
        }

        /** Removes what {@link #mkdirs} made, newest first; failures are added to {@code cause}. */
        void undo(Throwable cause) {
            for (int i = roots.size() - 1; i >= 0; i--) {
                try {
                    deleteTree(roots.get(i));
                } catch (RuntimeException e) {
                    cause.addSuppressed(e);
                }
            }
            roots.clear();
        }
    }

    /**
     * True when {@code dir} holds nothing but overlayfs work state (or nothing at all), so that
     * clearing it cannot destroy anyone's data.
     */
    static boolean holdsOnlyWorkState(Path dir) {
        try (var entries = Files.list(dir)) {
            return entries.allMatch(e -> WORK_STATE.contains(e.getFileName().toString())
                    && Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            return false;
        }
    }

    /** Deletes everything inside {@code dir}, keeping {@code dir}. */
    static void clearContents(Path dir) {
        try (var entries = Files.list(dir)) {
            for (Path e : (Iterable<Path>) entries::iterator) {
                deleteTree(e);
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "clearing " + dir + ": " + e, e);
        }
    }

    /**
     * Deletes a tree without following symlinks and without crossing into another mount.
     * overlayfs makes {@code work/work} with mode 000: directories get owner rwx back before
     * they are read, so this also works without root's DAC override.
     */
    static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        long dev = device(root);
        if (root.getParent() != null && device(root.getParent()) != dev) {
            throw new DummException(Reason.INVALID_STATE, "refusing to delete " + root + ": it is a mount point");
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    long here = ((Number) Files.getAttribute(d, "unix:dev", LinkOption.NOFOLLOW_LINKS)).longValue();
                    if (here != dev) {
                        throw new IOException("refusing to delete " + d + ": another filesystem is mounted there");
                    }
                    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(d, LinkOption.NOFOLLOW_LINKS);
                    if (!perms.containsAll(OWNER_RWX)) {
                        perms.addAll(OWNER_RWX);
                        Files.setPosixFilePermissions(d, perms);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    Files.delete(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "deleting " + root + ": " + e.getMessage(), e);
        }
    }

    private static final Set<PosixFilePermission> OWNER_RWX = EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
}
