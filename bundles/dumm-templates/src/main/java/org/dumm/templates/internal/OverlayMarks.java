package org.dumm.templates.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import jnr.ffi.Pointer;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.nativ.Errno;
import org.dumm.nativ.Mounts;
import org.dumm.nativ.Native;

/**
 * The marks overlayfs leaves in an upper layer: whiteouts (a character device 0/0 hides the
 * name below; since Linux 6.7 also a regular file with {@code trusted.overlay.whiteout}, used
 * when the layer itself lives on an overlay) and opaque directories
 * ({@code trusted.overlay.opaque=y}: nothing below shows through).
 */
final class OverlayMarks {

    static final String OPAQUE_XATTR = "trusted.overlay.opaque";
    static final String WHITEOUT_XATTR = "trusted.overlay.whiteout";

    private OverlayMarks() {
    }

    static boolean isWhiteout(Path p) {
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int type = mode & Mounts.S_IFMT;
            if (type == Mounts.S_IFCHR) {
                return ((Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS)) == 0L;
            }
            return type == Mounts.S_IFREG && Files.size(p) == 0 && xattr(p, WHITEOUT_XATTR) != null;
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "reading " + p + ": " + e, e);
        }
    }

    static boolean isOpaque(Path dir) {
        return "y".equals(xattr(dir, OPAQUE_XATTR));
    }

    /** Makes the whiteout that hides {@code p} in the layers below. */
    static void makeWhiteout(Path p) {
        Native.check(Native.libc().mknod(p.toString(), Mounts.S_IFCHR, Mounts.makedev(0, 0)), "creating whiteout " + p);
    }

    static void makeOpaque(Path dir) {
        byte[] y = {'y'};
        Pointer v = Native.allocate(1);
        v.put(0, y, 0, 1);
        Native.check(Native.libc().lsetxattr(dir.toString(), OPAQUE_XATTR, v, 1, 0), "marking " + dir + " opaque");
    }

    /** The value of an extended attribute, or null when it is not set. */
    static String xattr(Path p, String name) {
        Pointer buf = Native.allocate(256);
        long n = Native.libc().lgetxattr(p.toString(), name, buf, 256);
        if (n < 0) {
            int errno = Native.errno();
            if (errno == Errno.ENODATA || errno == Errno.EOPNOTSUPP || errno == Errno.ENOENT) {
                return null;
            }
            throw Native.error("reading " + name + " of " + p, errno);
        }
        byte[] b = new byte[(int) n];
        buf.get(0, b, 0, b.length);
        return new String(b, StandardCharsets.UTF_8);
    }
}
