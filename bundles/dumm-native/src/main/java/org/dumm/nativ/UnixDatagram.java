package org.dumm.nativ;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;

/**
 * A unix-domain datagram socket bound to an automatic abstract address (nothing on disk to clean
 * up; a peer answers to it with sendto). Not thread-safe: callers serialise.
 */
public final class UnixDatagram implements AutoCloseable {

    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    /** sun_path holds 108 bytes including the terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;

    private int fd;
    private final Pointer pollFd = Native.allocate(8);
    private Pointer buffer = Native.allocate(1024);
    private final Pointer address = Native.allocate(110);

    private UnixDatagram(int fd) {
        this.fd = fd;
    }

    /** Opens a socket and autobinds it (bind with only the family: Linux picks an abstract name). */
    public static UnixDatagram open() {
        LibC c = Native.libc();
        int fd = Native.check(c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), "opening a unix datagram socket");
        Pointer family = Native.allocate(2);
        family.putShort(0, (short) AF_UNIX);
        if (c.bind(fd, family, 2) < 0) {
            NativeException e = Native.error("binding a unix datagram socket");
            c.close(fd);
            throw e;
        }
        return new UnixDatagram(fd);
    }

    /** Sends {@code length} bytes of {@code data} to the socket at {@code path}. */
    public void send(String path, byte[] data, int length) {
        int addressLength = address(path, "sending to ");
        ensure(length);
        buffer.put(0, data, 0, length);
        long n = Native.libc().sendto(fd, buffer, length, 0, address, addressLength);
        Native.check(n, "sending to " + path);
    }

    /**
     * Makes the socket at {@code path} this one's only peer: {@link #send(byte[], int)} then
     * skips looking the path up (~25 µs of a ~70 µs send here), and only the peer's datagrams
     * arrive. A peer that has gone, or been made anew under the same path, refuses the next send
     * (ECONNREFUSED): connect a new socket then.
     */
    public void connect(String path) {
        int addressLength = address(path, "connecting to ");
        Native.check(Native.libc().connect(fd, address, addressLength), "connecting to " + path);
    }

    /** Sends {@code length} bytes of {@code data} to the peer {@link #connect connected} to. */
    public void send(byte[] data, int length) {
        ensure(length);
        buffer.put(0, data, 0, length);
        Native.check(Native.libc().send(fd, buffer, length, 0), "sending on a unix datagram socket");
    }

    /** Puts {@code path} into {@link #address}; returns the address's length. */
    private int address(String path, String doing) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length > MAX_PATH_BYTES) {
            throw new NativeException(doing + path, Errno.ENAMETOOLONG,
                    "socket path is " + p.length + " bytes, at most " + MAX_PATH_BYTES + " fit");
        }
        address.putShort(0, (short) AF_UNIX);
        address.put(2, p, 0, p.length);
        address.putByte(2 + p.length, (byte) 0);
        return 2 + p.length + 1;
    }

    /**
     * Waits up to {@code timeoutMillis} for one datagram and copies it into {@code into}; returns
     * its length, or -1 when none came in time.
     */
    public int receive(byte[] into, int timeoutMillis) {
        LibC c = Native.libc();
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            pollFd.putInt(0, fd);
            pollFd.putShort(4, Fcntl.POLLIN);
            pollFd.putShort(6, (short) 0);
            int left = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
            int ready = c.poll(pollFd, 1, left);
            if (ready < 0 && Native.errno() == Errno.EINTR) {
                continue;
            }
            Native.check(ready, "waiting on a unix datagram socket");
            if (ready == 0) {
                return -1;
            }
            ensure(into.length);
            long n = c.recv(fd, buffer, into.length, 0);
            if (n < 0 && Native.errno() == Errno.EINTR) {
                continue;
            }
            Native.check(n, "receiving from a unix datagram socket");
            buffer.get(0, into, 0, (int) n);
            return (int) n;
        }
    }

    private void ensure(int size) {
        if (buffer.size() < size) {
            buffer = Native.allocate(size);
        }
    }

    @Override
    public void close() {
        if (fd >= 0) {
            Native.libc().close(fd);
            fd = -1;
        }
    }
}
