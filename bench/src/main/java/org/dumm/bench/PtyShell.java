package org.dumm.bench;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;

import org.dumm.nativ.Errno;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;

/**
 * The baseline's way to run a command in a guest: an interactive shell on the guest's console
 * pty. A round trip writes {@code echo M_$((k+1))} and reads until {@code M_<k+1>} comes back;
 * the echoed command line itself never contains that text, so only the shell's answer matches.
 * One caller at a time.
 */
final class PtyShell implements AutoCloseable {

    private final String path;
    private final int fd;
    private final Pointer buf = Native.allocate(4096);
    private final Pointer pollFd = Native.allocate(8);
    private final StringBuilder pending = new StringBuilder();
    private long counter = System.nanoTime() % 1_000_000;

    private PtyShell(String path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    static PtyShell open(String path) {
        int fd = Native.libc().open(path, Fcntl.O_RDWR | Fcntl.O_NOCTTY | Fcntl.O_NONBLOCK | Fcntl.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new IllegalStateException("cannot open " + path + ": " + Errno.name(Native.errno()));
        }
        return new PtyShell(path, fd);
    }

    String path() {
        return path;
    }

    /**
     * One command round trip; returns its duration in nanoseconds, or -1 when no answer came
     * within {@code timeoutMillis}.
     */
    long roundTrip(long timeoutMillis) {
        long k = ++counter;
        String want = "M_" + (k + 1);
        long t0 = System.nanoTime();
        write("echo M_$((" + k + "+1))\n");
        return awaitText(want, t0, t0 + timeoutMillis * 1_000_000L) ? System.nanoTime() - t0 : -1;
    }

    /**
     * Runs a command line on the shell and returns what came back before the end marker (the
     * echoed command line included); null on timeout.
     */
    String run(String command, long timeoutMillis) {
        long k = ++counter;
        String want = "M_" + (k + 1);
        pending.setLength(0);
        write(command + "; echo M_$((" + k + "+1))\n");
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            int i = pending.indexOf(want);
            if (i >= 0 && i + want.length() < pending.length()
                    && (pending.charAt(i + want.length()) == '\r' || pending.charAt(i + want.length()) == '\n')) {
                String out = pending.substring(0, i);
                pending.delete(0, i + want.length());
                return out;
            }
            if (!readSome(deadline)) {
                return null;
            }
        }
    }

    /**
     * Waits until the shell answers at all, re-sending a probe every {@code resendMillis} (input
     * typed before the shell opened its terminal may be lost); true once one probe came back.
     */
    boolean awaitShell(long deadlineNanos, long resendMillis, java.util.function.BooleanSupplier stillAlive) {
        while (System.nanoTime() < deadlineNanos && stillAlive.getAsBoolean()) {
            long k = ++counter;
            write("echo M_$((" + k + "+1))\n");
            long until = Math.min(deadlineNanos, System.nanoTime() + resendMillis * 1_000_000L);
            // any earlier probe's answer counts too: they are all the same question
            if (awaitAnyProbe(until)) {
                return true;
            }
        }
        return false;
    }

    private boolean awaitAnyProbe(long untilNanos) {
        while (true) {
            int i = pending.indexOf("M_");
            while (i >= 0) {
                int j = i + 2;
                while (j < pending.length() && Character.isDigit(pending.charAt(j))) {
                    j++;
                }
                if (j > i + 2 && j < pending.length() && (pending.charAt(j) == '\r' || pending.charAt(j) == '\n')) {
                    pending.setLength(0);
                    return true;
                }
                i = pending.indexOf("M_", i + 2);
            }
            if (!readSome(untilNanos)) {
                return false;
            }
        }
    }

    private boolean awaitText(String want, long t0, long deadline) {
        while (true) {
            int i = pending.indexOf(want);
            if (i >= 0) {
                int end = i + want.length();
                if (end < pending.length()) {
                    char c = pending.charAt(end);
                    if (c == '\r' || c == '\n') {
                        pending.delete(0, end);
                        return true;
                    }
                    // a longer number that starts alike: keep looking after it
                    pending.delete(0, i + 2);
                    continue;
                }
            }
            if (!readSome(deadline)) {
                return false;
            }
        }
    }

    /** Reads what is there (waiting until {@code deadline}); false on timeout or a closed pty. */
    private boolean readSome(long deadline) {
        LibC c = Native.libc();
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left < 0) {
                return false;
            }
            pollFd.putInt(0, fd);
            pollFd.putShort(4, Fcntl.POLLIN);
            pollFd.putShort(6, (short) 0);
            int r = c.poll(pollFd, 1, (int) Math.min(left + 1, 1000));
            if (r <= 0) {
                continue;
            }
            long n = c.read(fd, buf, 4096);
            if (n > 0) {
                byte[] b = new byte[(int) n];
                buf.get(0, b, 0, b.length);
                pending.append(new String(b, StandardCharsets.ISO_8859_1));
                if (pending.length() > 1 << 16) {
                    pending.delete(0, pending.length() - 4096);
                }
                return true;
            }
            int err = Native.errno();
            if (n == 0 || (err != Errno.EAGAIN && err != Errno.EINTR)) {
                return false;
            }
        }
    }

    private void write(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        Pointer p = Native.allocate(b.length);
        p.put(0, b, 0, b.length);
        int done = 0;
        while (done < b.length) {
            long n = Native.libc().write(fd, p.slice(done), b.length - done);
            if (n > 0) {
                done += (int) n;
            } else if (Native.errno() == Errno.EAGAIN || Native.errno() == Errno.EINTR) {
                Host.sleep(1);
            } else {
                throw new IllegalStateException("writing to " + path + ": " + Errno.name(Native.errno()));
            }
        }
    }

    @Override
    public void close() {
        Native.libc().close(fd);
    }
}
