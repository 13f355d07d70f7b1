package org.dumm.nativ;

import jnr.ffi.Pointer;

/**
 * Descriptor plumbing for talking to a child process over a socket: a connected pair of unix
 * stream sockets (socketpair(2)), and a copy of a descriptor another process holds
 * (pidfd_getfd(2), Linux 5.6+), so that a restarted host can reach the same socket again.
 */
public final class Descriptors {

    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    // the unified syscall table: same numbers on x86_64 and aarch64
    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_PIDFD_GETFD = 438;
    private static final long FIONBIO = 0x5421;

    private Descriptors() {
    }

    /** Two connected unix stream sockets, close-on-exec. */
    public static int[] socketPair() {
        int[] sv = new int[2];
        Native.check(Native.libc().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "creating a socket pair");
        return sv;
    }

    /**
     * A descriptor of this process for what process {@code pid} holds at {@code fd}:
     * close-on-exec and non-blocking (the file's status flags are shared with the holder).
     */
    public static int copyFrom(int pid, int fd) {
        LibC c = Native.libc();
        int pidfd = (int) c.syscall(SYS_PIDFD_OPEN, pid, 0);
        if (pidfd < 0) {
            throw Native.error("pidfd_open of process " + pid);
        }
        try {
            int copy = (int) c.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0);
            if (copy < 0) {
                throw Native.error("taking descriptor " + fd + " of process " + pid);
            }
            Pointer on = Native.allocate(4);
            on.putInt(0, 1);
            if (c.ioctl(copy, FIONBIO, on) < 0) {
                NativeException e = Native.error("making descriptor " + fd + " of process " + pid + " non-blocking");
                c.close(copy);
                throw e;
            }
            return copy;
        } finally {
            c.close(pidfd);
        }
    }

    /** Reads and drops whatever is waiting on non-blocking {@code fd}. */
    public static void drain(int fd) {
        LibC c = Native.libc();
        Pointer buf = Native.allocate(4096);
        while (c.read(fd, buf, 4096) > 0) {
            // dropped
        }
    }

    /** close(2), ignoring errors; for descriptors from {@link #socketPair}. */
    public static void close(int fd) {
        if (fd >= 0) {
            Native.libc().close(fd);
        }
    }
}
