package org.dumm.nativ.net;

import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;
import org.dumm.nativ.NativeException;

import jnr.ffi.Pointer;

/**
 * An AF_PACKET socket bound to one host interface, receiving every frame on it in both
 * directions (packet(7)): what a capture reads, in-process, with no tcpdump. A classic BPF
 * program ({@link BpfProgram}) attached before the bind filters in the kernel. With
 * {@code promiscuous} the interface is put in promiscuous mode for the socket's lifetime (a
 * membership the kernel drops with the socket): a bridge then passes up the frames it forwards
 * between its ports too, so that its whole segment is seen.
 */
public final class PacketSocket implements AutoCloseable {

    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int ETH_P_ALL_BE = 0x0300; // htons(ETH_P_ALL = 0x0003)
    private static final int SOL_SOCKET = 1;
    private static final int SO_ATTACH_FILTER = 26;
    private static final int SO_RCVBUF = 8;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int PACKET_STATISTICS = 6;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_ADD_MEMBERSHIP = 1;
    private static final int PACKET_MR_PROMISC = 1;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_TRUNC = 0x20;
    private static final short POLLIN = 0x1;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;

    private final LibC libc = Native.libc();
    private final int fd;
    private final Pointer pollfd = Native.allocate(8);
    private volatile boolean closed;

    private PacketSocket(int fd) {
        this.fd = fd;
        pollfd.putInt(0, fd);
        pollfd.putShort(4, POLLIN);
    }

    /** A socket on interface {@code ifindex}; {@code filter} may be null (every frame). */
    public static PacketSocket open(int ifindex, BpfProgram filter, boolean promiscuous) {
        LibC c = Native.libc();
        // protocol 0: nothing is received until the bind names the interface (and ETH_P_ALL), so no
        // frame of another interface gets in before it
        int fd = Native.check(c.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), "socket(AF_PACKET)");
        PacketSocket s = new PacketSocket(fd);
        try {
            // room for bursts of 64 KiB GSO frames while the writer is busy: beyond rmem_max,
            // which FORCE may exceed (root); else as much as rmem_max allows
            Pointer size = Native.allocate(4);
            size.putInt(0, 32 << 20);
            if (c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size, 4) < 0) {
                c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, 4);
            }
            if (filter != null) {
                s.attach(filter);
            }
            Pointer sll = Native.allocate(20); // struct sockaddr_ll
            sll.putShort(0, (short) AF_PACKET);
            sll.putShort(2, (short) ETH_P_ALL_BE);
            sll.putInt(4, ifindex);
            Native.check(c.bind(fd, sll, 20), "bind(AF_PACKET, ifindex " + ifindex + ")");
            if (promiscuous) {
                Pointer mreq = Native.allocate(16); // struct packet_mreq
                mreq.putInt(0, ifindex);
                mreq.putShort(4, (short) PACKET_MR_PROMISC);
                Native.check(c.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, 16), "PACKET_ADD_MEMBERSHIP");
            }
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void attach(BpfProgram filter) {
        byte[] code = filter.instructions();
        Pointer insns = Native.allocate(Math.max(8, code.length));
        insns.put(0, code, 0, code.length);
        Pointer prog = Native.allocate(16); // struct sock_fprog { u16 len; (pad) struct sock_filter *filter; }
        prog.putShort(0, (short) filter.length());
        prog.putAddress(8, insns.address());
        Native.check(libc.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog, 16), "SO_ATTACH_FILTER");
    }

    /**
     * Waits up to {@code timeoutMillis} for a frame and copies it into {@code buf}.
     *
     * @return the frame's length on the wire (more than {@code buf} holds when it was cut), 0 when
     * none came in time
     * @throws NativeException when the socket fails, e.g. ENETDOWN once its interface is gone
     */
    public int receive(Pointer buf, int capacity, int timeoutMillis) {
        // a frame waiting is taken at once; poll only when there is none (one system call per frame)
        int n = take(buf, capacity);
        if (n != 0 || timeoutMillis <= 0) {
            return n;
        }
        int ready = libc.poll(pollfd, 1, timeoutMillis);
        if (ready < 0) {
            if (Native.errno() == EINTR) {
                return 0;
            }
            throw Native.error("poll(AF_PACKET)");
        }
        return ready == 0 ? 0 : take(buf, capacity);
    }

    private int take(Pointer buf, int capacity) {
        long n = libc.recv(fd, buf, capacity, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            int e = Native.errno();
            if (e == EAGAIN || e == EINTR) {
                return 0;
            }
            throw Native.error("recv(AF_PACKET)");
        }
        return (int) n;
    }

    /** Frames the kernel dropped for want of room in the socket since the last call (the counter resets). */
    public long drops() {
        Pointer stats = Native.allocate(8); // struct tpacket_stats { u32 tp_packets; u32 tp_drops; }
        jnr.ffi.byref.IntByReference len = new jnr.ffi.byref.IntByReference(8);
        if (libc.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, stats, len) < 0) {
            return 0;
        }
        return Integer.toUnsignedLong(stats.getInt(4));
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            libc.close(fd);
        }
    }
}
