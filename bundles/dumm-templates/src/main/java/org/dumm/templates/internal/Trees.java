package org.dumm.templates.internal;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** Deletes layer trees: never follows symlinks, never crosses into a mount, copes with mode 000 dirs. */
final class Trees {

    private static final Set<PosixFilePermission> OWNER_RWX = EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private Trees() {
    }

    static void delete(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        long dev = dev(root);
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (dev(d) != dev) {
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
    }

    private static long dev(Path p) throws IOException {
        return ((Number) Files.getAttribute(p, "unix:dev", LinkOption.NOFOLLOW_LINKS)).longValue();
    }
}
