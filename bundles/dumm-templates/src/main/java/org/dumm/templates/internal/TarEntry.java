package org.dumm.templates.internal;

/**
 * One member of a tar archive (POSIX ustar, with pax extended headers where ustar falls short).
 *
 * @param name     path inside the archive, '/'-separated, without a trailing slash
 * @param type     what the member is
 * @param mode     permission bits including setuid, setgid and sticky (07777)
 * @param uid      numeric owner
 * @param gid      numeric group
 * @param mtime    modification time, seconds since the epoch
 * @param size     content length in bytes (regular files only, else 0)
 * @param linkName symlink target or hard link's archive path, else null
 * @param devMajor device major number (devices only)
 * @param devMinor device minor number (devices only)
 */
record TarEntry(String name, Type type, int mode, long uid, long gid, long mtime, long size, String linkName,
                long devMajor, long devMinor) {

    /** Member types and their ustar type flags. */
    enum Type {
        FILE('0'), HARDLINK('1'), SYMLINK('2'), CHAR('3'), BLOCK('4'), DIR('5'), FIFO('6');

        final char flag;

        Type(char flag) {
            this.flag = flag;
        }
    }

    static TarEntry file(String name, int mode, long uid, long gid, long mtime, long size) {
        return new TarEntry(name, Type.FILE, mode, uid, gid, mtime, size, null, 0, 0);
    }

    static TarEntry dir(String name, int mode, long uid, long gid, long mtime) {
        return new TarEntry(name, Type.DIR, mode, uid, gid, mtime, 0, null, 0, 0);
    }

    static TarEntry symlink(String name, String target, long uid, long gid, long mtime) {
        return new TarEntry(name, Type.SYMLINK, 0777, uid, gid, mtime, 0, target, 0, 0);
    }
}
