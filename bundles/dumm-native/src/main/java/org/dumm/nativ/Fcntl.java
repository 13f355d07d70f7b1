package org.dumm.nativ;

/** Constants of fcntl.h, poll.h, signal.h and friends (Linux x86_64 / aarch64 values). */
public final class Fcntl {
    private Fcntl() {
    }

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_NOCTTY = 0400;
    public static final int O_CLOEXEC = 02000000;

    public static final short POLLIN = 0x001;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;

    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;

    public static final int WNOHANG = 1;

    /** personality(2): turn off address-space randomisation for the exec'd image. */
    public static final int ADDR_NO_RANDOMIZE = 0x0040000;
    /** personality(2) argument that only queries. */
    public static final long PERSONALITY_QUERY = 0xffffffffL;

    /** posix_spawn flags (glibc). */
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    public static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    public static final short POSIX_SPAWN_SETSID = 0x80;

    /** termios tcsetattr action. */
    public static final int TCSANOW = 0;
}
