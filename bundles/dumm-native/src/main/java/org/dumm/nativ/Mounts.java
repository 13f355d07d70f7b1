package org.dumm.nativ;

import java.util.Optional;

import jnr.ffi.Pointer;

/**
 * Constants of sys/mount.h, linux/mount.h and sys/stat.h for mount(2), umount2(2), open_tree(2),
 * move_mount(2), mknod(2) and the xattr calls (Linux values, identical on x86_64 and aarch64),
 * and what statfs(2) and statx(2) say about the mount at a path.
 */
public final class Mounts {
    private Mounts() {
    }

    // mount(2) flags
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final long MS_REMOUNT = 32;
    public static final long MS_NOATIME = 1024;
    public static final long MS_BIND = 4096;
    public static final long MS_MOVE = 8192;
    public static final long MS_REC = 16384;
    /** Propagation types: a mount is in exactly one of these. */
    public static final long MS_UNBINDABLE = 1 << 17;
    public static final long MS_PRIVATE = 1 << 18;
    public static final long MS_SLAVE = 1 << 19;
    public static final long MS_SHARED = 1 << 20;

    // umount2(2) flags
    public static final int MNT_FORCE = 1;
    /** Lazy unmount: detach now, free when the last user goes. */
    public static final int MNT_DETACH = 2;
    public static final int MNT_EXPIRE = 4;
    public static final int UMOUNT_NOFOLLOW = 8;

    /** dirfd meaning "relative to the current directory" (paths here are absolute anyway). */
    public static final long AT_FDCWD = -100;

    /**
     * Syscall numbers of the mount API calls glibc 2.36 has no wrapper for. They were added after
     * the syscall table was unified, so the numbers are the same on x86_64 and aarch64.
     */
    public static final long SYS_OPEN_TREE = 428;
    public static final long SYS_MOVE_MOUNT = 429;

    // open_tree(2) flags
    /** Return a detached copy of the mount (a tree with no parent, free of propagation rules). */
    public static final long OPEN_TREE_CLONE = 1;
    public static final long OPEN_TREE_CLOEXEC = Fcntl.O_CLOEXEC;

    // move_mount(2) flags
    /** from_path is empty: move the mount that from_dfd refers to. */
    public static final long MOVE_MOUNT_F_EMPTY_PATH = 0x04;
    /** Attach beneath the top mount at to_path (Linux 6.5+); unmounting the top reveals it. */
    public static final long MOVE_MOUNT_BENEATH = 0x200;

    // st_mode file types, for mknod(2) and stat results
    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    // lsetxattr(2) flags
    public static final int XATTR_CREATE = 1;
    public static final int XATTR_REPLACE = 2;

    /** dev_t from major and minor, as glibc's makedev(3) encodes it. */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    /** Major number of a dev_t (glibc's major(3)). */
    public static long major(long dev) {
        return ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
    }

    /** Minor number of a dev_t (glibc's minor(3)). */
    public static long minor(long dev) {
        return ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
    }

    /** statfs(2) f_type of overlayfs (linux/magic.h). */
    public static final long OVERLAYFS_SUPER_MAGIC = 0x794c7630L;

    private static final int AT_NO_AUTOMOUNT = 0x800;
    private static final int STATX_STRUCT_SIZE = 256;
    /** struct statx: u64 stx_attributes at 8, u64 stx_attributes_mask at 0x38. */
    private static final int STX_ATTRIBUTES = 8;
    private static final int STX_ATTRIBUTES_MASK = 0x38;
    private static final long STATX_ATTR_MOUNT_ROOT = 0x2000;

    /**
     * The filesystem type (statfs(2) f_type) of the mount visible at {@code path}.
     *
     * @throws NativeException with errno, e.g. ENOENT
     */
    public static long fsType(String path) {
        Pointer buf = Native.allocate(120); // struct statfs is 120 bytes on 64-bit Linux
        Native.check(Native.libc().statfs(path, buf), "statfs " + path);
        return buf.getLong(0);
    }

    /**
     * Whether {@code path} is the root of a mount (statx(2) STATX_ATTR_MOUNT_ROOT): one system
     * call where the mount table costs a read and parse of every mount. Empty when the kernel
     * cannot tell (before Linux 5.8).
     *
     * @throws NativeException with errno, e.g. ENOENT
     */
    public static Optional<Boolean> isMountRoot(String path) {
        Pointer buf = Native.allocate(STATX_STRUCT_SIZE);
        Native.check(Native.libc().statx((int) AT_FDCWD, path, AT_NO_AUTOMOUNT, 0, buf), "statx " + path);
        if ((buf.getLong(STX_ATTRIBUTES_MASK) & STATX_ATTR_MOUNT_ROOT) == 0) {
            return Optional.empty();
        }
        return Optional.of((buf.getLong(STX_ATTRIBUTES) & STATX_ATTR_MOUNT_ROOT) != 0);
    }
}
