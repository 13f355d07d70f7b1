package org.dumm.nativ.net;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;

import org.dumm.nativ.Errno;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;
import org.dumm.nativ.NativeException;

/**
 * TUN/TAP devices through {@code /dev/net/tun} (linux/if_tun.h). A device made by
 * {@link #createTap} lives as long as its file descriptor unless it is made persistent.
 */
public final class Tun {
    private Tun() {
    }

    public static final String CLONE_DEVICE = "/dev/net/tun";

    /** _IOW('T', 202, int) and _IOW('T', 203, int): same encoding on x86_64 and aarch64. */
    public static final long TUNSETIFF = 0x400454caL;
    public static final long TUNSETPERSIST = 0x400454cbL;

    public static final int IFF_TUN = 0x0001;
    public static final int IFF_TAP = 0x0002;
    /** No packet-information header in front of frames (what UML expects). */
    public static final int IFF_NO_PI = 0x1000;
    /** Fail with EBUSY instead of attaching when the name exists: makes create race-free. */
    public static final int IFF_TUN_EXCL = 0x8000;

    /** struct ifreq: char ifr_name[16], then a union whose first member is short ifr_flags. */
    private static final int IFREQ_SIZE = 40;
    private static final int IFNAMSIZ = 16;

    /**
     * Creates TAP device {@code name} (IFF_TAP|IFF_NO_PI) and returns the descriptor attached to
     * it. Closing the descriptor removes the device unless {@link #setPersist} made it persistent.
     *
     * @throws NativeException EEXIST when a device of that name exists; EPERM without CAP_NET_ADMIN
     */
    public static int createTap(String name) {
        LibC libc = Native.libc();
        int fd = libc.open(CLONE_DEVICE, Fcntl.O_RDWR | Fcntl.O_CLOEXEC, 0);
        if (fd < 0) {
            int e = Native.errno();
            String hint = switch (e) {
                case Errno.ENOENT, Errno.ENODEV -> "; the tun driver is missing (modprobe tun)";
                case Errno.EPERM, Errno.EACCES -> "; creating a TAP needs CAP_NET_ADMIN";
                default -> "";
            };
            throw new NativeException("opening " + CLONE_DEVICE + " to create TAP '" + name + "'", e,
                    libc.strerror(e) + hint);
        }
        Pointer ifr = Native.allocate(IFREQ_SIZE);
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length >= IFNAMSIZ) {
            libc.close(fd);
            throw new NativeException("creating TAP '" + name + "'", Errno.EINVAL,
                    "name is " + b.length + " bytes, Linux allows " + (IFNAMSIZ - 1));
        }
        ifr.put(0, b, 0, b.length);
        ifr.putShort(IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL));
        if (libc.ioctl(fd, TUNSETIFF, ifr) < 0) {
            int e = Native.errno();
            libc.close(fd);
            String op = "creating TAP '" + name + "'";
            throw switch (e) {
                case Errno.EBUSY -> new NativeException(op, Errno.EEXIST, "a network device of that name already exists");
                case Errno.EPERM, Errno.EACCES -> new NativeException(op, e,
                        libc.strerror(e) + "; creating a TAP needs CAP_NET_ADMIN");
                default -> new NativeException(op, e, libc.strerror(e));
            };
        }
        return fd;
    }

    /** Makes the device of {@code fd} outlive the descriptor (or not). */
    public static void setPersist(int fd, boolean persist, String name) {
        Native.check(Native.libc().ioctl(fd, TUNSETPERSIST, persist ? 1L : 0L),
                "making TAP '" + name + (persist ? "' persistent" : "' non-persistent"));
    }

    /** Closes a descriptor from {@link #createTap}. */
    public static void close(int fd) {
        Native.libc().close(fd);
    }
}
