package org.dumm.nativ;

import jnr.ffi.Pointer;

/**
 * A pseudo-terminal pair from /dev/ptmx, both ends open, the terminal in raw mode; and the raw /
 * flush helpers for terminals opened elsewhere. Closing closes whichever ends are still owned.
 */
public final class Pty implements AutoCloseable {

    // ioctl requests of asm-generic/ioctls.h (x86_64 / aarch64)
    private static final long TIOCSPTLCK = 0x40045431L;
    private static final long TIOCGPTN = 0x80045430L;
    private static final long TIOCGPTPEER = 0x5441L;
    private static final long TCFLSH = 0x540BL;
    private static final long TIOCGWINSZ = 0x5413L;
    private static final long TIOCSWINSZ = 0x5414L;
    private static final int TCIFLUSH = 0;
    /** glibc's struct termios is 60 bytes; a little slack costs nothing. */
    private static final int TERMIOS_SIZE = 64;

    private int master;
    private int terminal;
    private final String terminalPath;

    private Pty(int master, int terminal, String terminalPath) {
        this.master = master;
        this.terminal = terminal;
        this.terminalPath = terminalPath;
    }

    /** Opens a new pair (O_CLOEXEC, O_NOCTTY on both ends) with the terminal end in raw mode. */
    public static Pty open() {
        LibC c = Native.libc();
        int m = Native.check(c.open("/dev/ptmx", Fcntl.O_RDWR | Fcntl.O_NOCTTY | Fcntl.O_CLOEXEC, 0),
                "opening /dev/ptmx");
        try {
            Pointer arg = Native.allocate(4);
            arg.putInt(0, 0);
            Native.check(c.ioctl(m, TIOCSPTLCK, arg), "unlocking a pty");
            Native.check(c.ioctl(m, TIOCGPTN, arg), "reading a pty's number");
            int number = arg.getInt(0);
            // TIOCGPTPEER opens the peer without a path lookup, so it cannot race with devpts
            int t = Native.check(c.ioctl(m, TIOCGPTPEER,
                    (long) (Fcntl.O_RDWR | Fcntl.O_NOCTTY | Fcntl.O_CLOEXEC)), "opening a pty's terminal");
            try {
                makeRaw(t);
            } catch (RuntimeException e) {
                c.close(t);
                throw e;
            }
            return new Pty(m, t, "/dev/pts/" + number);
        } catch (RuntimeException e) {
            c.close(m);
            throw e;
        }
    }

    /** The master end's file descriptor, or -1 once released or closed. */
    public int master() {
        return master;
    }

    /** The terminal end's file descriptor, or -1 once released or closed. */
    public int terminal() {
        return terminal;
    }

    /** The terminal's path, e.g. {@code /dev/pts/7}. */
    public String terminalPath() {
        return terminalPath;
    }

    /** Switches a terminal to raw mode (no echo, no line editing, no translation, 8 bits). */
    public static void makeRaw(int fd) {
        LibC c = Native.libc();
        Pointer termios = Native.allocate(TERMIOS_SIZE);
        Native.check(c.tcgetattr(fd, termios), "reading terminal attributes");
        c.cfmakeraw(termios);
        Native.check(c.tcsetattr(fd, Fcntl.TCSANOW, termios), "setting terminal attributes");
    }

    /** Drops input the terminal has received but nobody has read yet. */
    public static void flushInput(int fd) {
        Native.check(Native.libc().ioctl(fd, TCFLSH, (long) TCIFLUSH), "flushing terminal input");
    }

    /**
     * Sets a terminal's window size (TIOCSWINSZ on either end of a pty sets the pair's): the
     * kernel sends SIGWINCH to the foreground process groups on both ends when it changed.
     */
    public static void setWindowSize(int fd, int rows, int cols) {
        Pointer ws = Native.allocate(8);   // struct winsize {ushort ws_row, ws_col, ws_xpixel, ws_ypixel}
        ws.putShort(0, (short) rows);
        ws.putShort(2, (short) cols);
        ws.putShort(4, (short) 0);
        ws.putShort(6, (short) 0);
        Native.check(Native.libc().ioctl(fd, TIOCSWINSZ, ws), "setting a terminal's window size");
    }

    /** A terminal's window size: {rows, cols}. */
    public static int[] windowSize(int fd) {
        Pointer ws = Native.allocate(8);
        Native.check(Native.libc().ioctl(fd, TIOCGWINSZ, ws), "reading a terminal's window size");
        return new int[] {Short.toUnsignedInt(ws.getShort(0)), Short.toUnsignedInt(ws.getShort(2))};
    }

    @Override
    public void close() {
        LibC c = Native.libc();
        if (master >= 0) {
            c.close(master);
            master = -1;
        }
        if (terminal >= 0) {
            c.close(terminal);
            terminal = -1;
        }
    }
}
