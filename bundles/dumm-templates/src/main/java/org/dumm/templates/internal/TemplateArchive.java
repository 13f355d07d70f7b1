package org.dumm.templates.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Names;
import org.dumm.nativ.Mounts;
import org.dumm.nativ.Native;

/**
 * A template as tar.gz: {@code .dumm-template} (a marker with the format version) first, then
 * {@code <guest>/…} for every guest layer. Whiteouts are stored the way OCI image layers store
 * them, as empty files: {@code .wh.<name>} for a whiteout of {@code <name>} and
 * {@code <dir>/.wh..wh..opq} for an opaque directory. Plain files survive any tar tool, need no
 * privileges to list and no special handling to copy, while character devices and trusted.*
 * xattrs in tar are not portable. Import turns them back into overlayfs whiteouts (mknod 0/0)
 * and the opaque xattr. Hard-linked files are stored as separate copies; sockets are skipped.
 */
final class TemplateArchive {

    static final String MARKER = ".dumm-template";
    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE_NAME = ".wh..wh..opq";
    private static final String MARKER_CONTENT = "dumm template archive\nformat=1\nwhiteouts=oci\n";

    private TemplateArchive() {
    }

    // ---- export

    static void export(Path templateDir, List<String> guests, Path archive) throws IOException {
        Path tmp = archive.resolveSibling("." + archive.getFileName() + ".part");
        try {
            try (OutputStream file = Files.newOutputStream(tmp);
                 GZIPOutputStream gz = new GZIPOutputStream(new BufferedOutputStream(file, 1 << 16), 1 << 16)) {
                TarWriter tar = new TarWriter(gz);
                byte[] marker = MARKER_CONTENT.getBytes(StandardCharsets.UTF_8);
                tar.add(TarEntry.file(MARKER, 0644, 0, 0, System.currentTimeMillis() / 1000, marker.length),
                        new java.io.ByteArrayInputStream(marker));
                for (String guest : guests) {
                    Path layer = templateDir.resolve(guest);
                    tar.add(dirEntry(guest, layer), null);
                    exportDir(tar, layer, guest);
                }
                tar.finish();
                gz.finish();
            }
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            AtomicFiles.moveInto(tmp, archive);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    private static void exportDir(TarWriter tar, Path dir, String name) throws IOException {
        if (OverlayMarks.isOpaque(dir)) {
            tar.add(TarEntry.file(name + "/" + OPAQUE_NAME, 0, 0, 0, 0, 0), null);
        }
        for (String child : LayerDiff.children(dir)) {
            Path p = dir.resolve(child);
            String n = name + "/" + child;
            if (OverlayMarks.isWhiteout(p)) {
                tar.add(TarEntry.file(name + "/" + WHITEOUT_PREFIX + child, 0, 0, 0, 0, 0), null);
                continue;
            }
            if (child.startsWith(WHITEOUT_PREFIX)) {
                throw new DummException(Reason.INVALID_STATE, "cannot export " + p
                        + ": names starting with '.wh.' mark whiteouts in the archive");
            }
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            long uid = ((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
            long gid = ((Number) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue();
            long mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() / 1000;
            switch (mode & Mounts.S_IFMT) {
                case Mounts.S_IFDIR -> {
                    tar.add(TarEntry.dir(n, mode, uid, gid, mtime), null);
                    exportDir(tar, p, n);
                }
                case Mounts.S_IFREG -> {
                    long size = Files.size(p);
                    try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                        tar.add(TarEntry.file(n, mode, uid, gid, mtime, size), in);
                    }
                }
                case Mounts.S_IFLNK -> tar.add(TarEntry.symlink(n, Files.readSymbolicLink(p).toString(), uid, gid, mtime), null);
                case Mounts.S_IFCHR, Mounts.S_IFBLK -> {
                    long rdev = (Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
                    TarEntry.Type t = (mode & Mounts.S_IFMT) == Mounts.S_IFCHR ? TarEntry.Type.CHAR : TarEntry.Type.BLOCK;
                    tar.add(new TarEntry(n, t, mode, uid, gid, mtime, 0, null, Mounts.major(rdev), Mounts.minor(rdev)), null);
                }
                case Mounts.S_IFIFO -> tar.add(new TarEntry(n, TarEntry.Type.FIFO, mode, uid, gid, mtime, 0, null, 0, 0), null);
                default -> { } // sockets cannot be archived; they are recreated by whoever listens
            }
        }
    }

    private static TarEntry dirEntry(String name, Path dir) throws IOException {
        int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        long uid = ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        long gid = ((Number) Files.getAttribute(dir, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue();
        return TarEntry.dir(name, mode, uid, gid, Files.getLastModifiedTime(dir).toMillis() / 1000);
    }

    // ---- import

    /**
     * Unpacks {@code archive} into the empty directory {@code dest}. Entry paths are checked: no
     * absolute paths, no '..', the first part a valid guest name, nothing through a symlink.
     */
    static void unpack(Path archive, Path dest) throws IOException {
        List<Path> dirs = new ArrayList<>();
        List<TarEntry> dirEntries = new ArrayList<>();
        boolean marked = false;
        try (InputStream file = Files.newInputStream(archive);
             InputStream gz = new GZIPInputStream(new BufferedInputStream(file, 1 << 16), 1 << 16)) {
            TarReader tar = new TarReader(gz);
            TarEntry e;
            boolean first = true;
            while ((e = tar.next()) != null) {
                String name = e.name().startsWith("./") ? e.name().substring(2) : e.name();
                if (first) {
                    first = false;
                    if (name.equals(MARKER) && e.type() == TarEntry.Type.FILE) {
                        String content = new String(tar.content().readNBytes(4096), StandardCharsets.UTF_8);
                        if (!content.contains("format=1")) {
                            throw invalid("archive " + archive + " is a Dumm template archive of an unknown format");
                        }
                        marked = true;
                        continue;
                    }
                    throw invalid("archive " + archive + " is not a Dumm template archive (no " + MARKER + " first)");
                }
                if (name.isEmpty() || name.equals(".")) {
                    continue;
                }
                List<String> parts = checkedParts(name);
                Path target = dest;
                for (String part : parts) {
                    target = target.resolve(part);
                }
                String base = parts.get(parts.size() - 1);
                if (base.equals(OPAQUE_NAME)) {
                    Path dir = ensureDir(dest, parts.subList(0, parts.size() - 1));
                    OverlayMarks.makeOpaque(dir);
                    continue;
                }
                if (base.startsWith(WHITEOUT_PREFIX)) {
                    Path dir = ensureDir(dest, parts.subList(0, parts.size() - 1));
                    String hidden = base.substring(WHITEOUT_PREFIX.length());
                    if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
                        throw invalid("archive entry '" + name + "' is not a valid whiteout");
                    }
                    OverlayMarks.makeWhiteout(dir.resolve(hidden));
                    continue;
                }
                Path parent = ensureDir(dest, parts.subList(0, parts.size() - 1));
                target = parent.resolve(base);
                switch (e.type()) {
                    case DIR -> {
                        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                            Files.createDirectory(target);
                        }
                        dirs.add(target);
                        dirEntries.add(e);
                    }
                    case FILE -> {
                        Files.copy(tar.content(), target);
                        applyAttributes(target, e);
                    }
                    case SYMLINK -> {
                        Files.createSymbolicLink(target, Path.of(e.linkName()));
                        applyAttributes(target, e);
                    }
                    case HARDLINK -> {
                        // the link's directories must be real ones too, or it could reach outside
                        List<String> linkParts = checkedParts(e.linkName());
                        Path source = ensureDir(dest, linkParts.subList(0, linkParts.size() - 1))
                                .resolve(linkParts.get(linkParts.size() - 1));
                        Files.createLink(target, source);
                    }
                    case CHAR, BLOCK, FIFO -> {
                        int type = switch (e.type()) {
                            case CHAR -> Mounts.S_IFCHR;
                            case BLOCK -> Mounts.S_IFBLK;
                            default -> Mounts.S_IFIFO;
                        };
                        Native.check(Native.libc().mknod(target.toString(), type | (e.mode() & 07777),
                                Mounts.makedev(e.devMajor(), e.devMinor())), "creating " + name);
                        applyAttributes(target, e);
                    }
                    default -> throw invalid("archive entry '" + name + "' has an unsupported type");
                }
            }
        } catch (FileAlreadyExistsException e) {
            throw invalid("archive " + archive + " holds " + e.getFile() + " twice");
        } catch (java.util.zip.ZipException e) {
            throw invalid("archive " + archive + " is not a gzip'd tar: " + e.getMessage());
        }
        if (!marked) {
            throw invalid("archive " + archive + " is empty");
        }
        // directory modes and times last: a read-only directory would refuse its own members
        for (int i = dirs.size() - 1; i >= 0; i--) {
            applyAttributes(dirs.get(i), dirEntries.get(i));
        }
    }

    private static List<String> checkedParts(String name) {
        if (name.startsWith("/")) {
            throw invalid("archive entry '" + name + "' is an absolute path");
        }
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw invalid("archive entry '" + name + "' contains '..'");
            }
            parts.add(part);
        }
        if (parts.isEmpty()) {
            throw invalid("archive entry '" + name + "' is empty");
        }
        Names.check("guest", parts.get(0));
        return parts;
    }

    /** Makes the directories of {@code parts} under {@code dest}, refusing to pass a symlink or file. */
    private static Path ensureDir(Path dest, List<String> parts) throws IOException {
        Path cur = dest;
        for (String part : parts) {
            cur = cur.resolve(part);
            if (Files.isSymbolicLink(cur) || (Files.exists(cur, LinkOption.NOFOLLOW_LINKS)
                    && !Files.isDirectory(cur, LinkOption.NOFOLLOW_LINKS))) {
                throw invalid("archive entry under " + dest.relativize(cur) + " passes through a symlink or file");
            }
            if (!Files.exists(cur, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(cur);
            }
        }
        return cur;
    }

    private static void applyAttributes(Path p, TarEntry e) throws IOException {
        // owner first: chown clears setuid/setgid bits, so the mode comes after it
        Files.setAttribute(p, "unix:uid", (int) e.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", (int) e.gid(), LinkOption.NOFOLLOW_LINKS);
        if (e.type() != TarEntry.Type.SYMLINK) {
            Files.setAttribute(p, "unix:mode", e.mode() & 07777, LinkOption.NOFOLLOW_LINKS);
        }
        FileTime t = FileTime.fromMillis(e.mtime() * 1000);
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(t, null, null);
    }

    private static DummException invalid(String message) {
        return new DummException(Reason.INVALID_ARGUMENT, message);
    }
}
