package org.dumm.nativ.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntFunction;

import jnr.ffi.Pointer;

import org.dumm.nativ.Errno;
import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;
import org.dumm.nativ.NativeException;

/**
 * A netlink socket to the kernel: requests with acknowledgement, single-reply queries, dumps and
 * pipelined batches. Errors carry errno and the kernel's extended-ack text when it gives one.
 * Thread-safe: one request/response exchange at a time.
 */
public final class NetlinkSocket implements AutoCloseable {

    private static final int BUFFER_SIZE = 64 * 1024;
    /**
     * Requests per system call. The kernel queues every answer on this socket before we read
     * any, and drops what overflows the receive buffer (~208 KiB by default): acks are small,
     * link replies are allocated for their largest possible size.
     */
    private static final int ACK_BATCH = 64;
    private static final int QUERY_BATCH = 16;
    private static final int DUMP_ATTEMPTS = 8;

    private final LibC libc = Native.libc();
    private final int fd;
    private final ByteBuffer sendBuf = ByteBuffer.allocateDirect(BUFFER_SIZE).order(ByteOrder.nativeOrder());
    private final ByteBuffer recvBuf = ByteBuffer.allocateDirect(BUFFER_SIZE).order(ByteOrder.nativeOrder());
    private final Pointer sendPtr = Pointer.wrap(Native.runtime(), sendBuf);
    private final Pointer recvPtr = Pointer.wrap(Native.runtime(), recvBuf);
    private int seq = (int) (System.nanoTime() & 0x3fffffff);
    private boolean closed;

    private NetlinkSocket(int fd) {
        this.fd = fd;
    }

    /** Opens a netlink socket of {@code protocol} (e.g. {@link Netlink#NETLINK_ROUTE}). */
    public static NetlinkSocket open(int protocol) {
        LibC libc = Native.libc();
        int fd = Native.check(libc.socket(Netlink.AF_NETLINK, Netlink.SOCK_RAW | Netlink.SOCK_CLOEXEC, protocol),
                "opening a netlink socket");
        Pointer one = Native.allocate(4);
        one.putInt(0, 1);
        // Both are optional refinements (short errors, kernel error text); older kernels lack them.
        libc.setsockopt(fd, Netlink.SOL_NETLINK, Netlink.NETLINK_CAP_ACK, one, 4);
        libc.setsockopt(fd, Netlink.SOL_NETLINK, Netlink.NETLINK_EXT_ACK, one, 4);
        return new NetlinkSocket(fd);
    }

    /** Sends {@code m} and waits for the kernel's acknowledgement; throws with errno on failure. */
    public synchronized void execute(NlMessage m, String operation) {
        NativeException e = executeAll(List.of(m), i -> operation).get(0);
        if (e != null) {
            throw e;
        }
    }

    /**
     * Sends all messages, many per system call, and collects one result per message: null when
     * the kernel accepted it, else the failure. The kernel goes on after a failed message.
     */
    public synchronized List<NativeException> executeAll(List<NlMessage> messages, IntFunction<String> operation) {
        List<NativeException> results = new ArrayList<>(messages.size());
        for (Reply r : exchange(messages, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, ACK_BATCH, false, operation)) {
            results.add(r.error());
        }
        return results;
    }

    /** Sends a request that has exactly one reply (e.g. RTM_GETLINK by name) and returns it. */
    public synchronized ByteBuffer query(NlMessage m, String operation) {
        Reply r = queryAll(List.of(m), i -> operation).get(0);
        if (r.error() != null) {
            throw r.error();
        }
        return r.message();
    }

    /** Sends many single-reply requests, several per system call; one {@link Reply} per request. */
    public synchronized List<Reply> queryAll(List<NlMessage> messages, IntFunction<String> operation) {
        return exchange(messages, Netlink.NLM_F_REQUEST, QUERY_BATCH, true, operation);
    }

    /**
     * The answer to one request: the reply message (header first, host byte order) for a query,
     * null for an acknowledged change; or the failure.
     */
    public record Reply(ByteBuffer message, NativeException error) {
    }

    /**
     * Sends the requests in groups of {@code batch} per system call and matches what comes back
     * by sequence number: an NLMSG_ERROR (0 = acknowledged) or, when {@code replies}, a message.
     */
    private List<Reply> exchange(List<NlMessage> messages, int flags, int batch, boolean replies,
                                 IntFunction<String> operation) {
        List<Reply> results = new ArrayList<>(messages.size());
        int i = 0;
        while (i < messages.size()) {
            ensureOpen();
            sendBuf.clear();
            int first = i;
            int firstSeq = seq + 1;
            while (i < messages.size() && i - first < batch) {
                byte[] bytes = messages.get(i).encode(seq + 1, flags);
                if (bytes.length > sendBuf.remaining()) {
                    if (i == first) {
                        throw new NativeException(operation.apply(i), Errno.EINVAL, "netlink message too large");
                    }
                    break;
                }
                sendBuf.put(bytes);
                seq++;
                i++;
            }
            send(sendBuf.position(), operation.apply(first));
            int count = i - first;
            Reply[] chunk = new Reply[count];
            int pending = count;
            while (pending > 0) {
                int n = receive(operation.apply(first));
                for (int pos = 0; pos + Netlink.NLMSG_HDRLEN <= n; ) {
                    int len = recvBuf.getInt(pos);
                    if (len < Netlink.NLMSG_HDRLEN) {
                        break;
                    }
                    int type = Short.toUnsignedInt(recvBuf.getShort(pos + 4));
                    int k = recvBuf.getInt(pos + 8) - firstSeq;
                    if (k >= 0 && k < count && chunk[k] == null) {
                        if (type == Netlink.NLMSG_ERROR) {
                            int err = recvBuf.getInt(pos + Netlink.NLMSG_HDRLEN);
                            if (err != 0) {
                                chunk[k] = new Reply(null, error(operation.apply(first + k), -err, pos, len));
                                pending--;
                            } else if (!replies) {
                                chunk[k] = new Reply(null, null);
                                pending--;
                            }
                        } else if (replies) {
                            chunk[k] = new Reply(copy(pos, len), null);
                            pending--;
                        }
                    }
                    pos += Netlink.align(len);
                }
            }
            results.addAll(Arrays.asList(chunk));
        }
        return results;
    }

    /**
     * Runs a dump request and hands every reply message (header first, host byte order) to
     * {@code each}. When the kernel flags the dump as interrupted by a concurrent change, it is
     * redone a few times; if changes keep coming, the last attempt is handed over anyway.
     *
     * @return true when the kernel vouched for a consistent snapshot
     */
    public synchronized boolean dump(NlMessage m, String operation, Consumer<ByteBuffer> each) {
        for (int attempt = 1; ; attempt++) {
            List<ByteBuffer> parts = new ArrayList<>();
            boolean consistent = dumpOnce(m, operation, parts);
            if (consistent || attempt == DUMP_ATTEMPTS) {
                parts.forEach(each);
                return consistent;
            }
            try {
                Thread.sleep(attempt); // let a burst of changes pass
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                parts.forEach(each);
                return false;
            }
        }
    }

    /** Collects the dump's messages into {@code parts}; false when a concurrent change interrupted it. */
    private boolean dumpOnce(NlMessage m, String operation, List<ByteBuffer> parts) {
        ensureOpen();
        int mySeq = ++seq;
        byte[] bytes = m.encode(mySeq, Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP);
        sendBuf.clear();
        sendBuf.put(bytes);
        send(bytes.length, operation);
        boolean interrupted = false;
        while (true) {
            int n = receive(operation);
            for (int pos = 0; pos + Netlink.NLMSG_HDRLEN <= n; ) {
                int len = recvBuf.getInt(pos);
                int type = Short.toUnsignedInt(recvBuf.getShort(pos + 4));
                int flags = Short.toUnsignedInt(recvBuf.getShort(pos + 6));
                if (len < Netlink.NLMSG_HDRLEN) {
                    break;
                }
                if (recvBuf.getInt(pos + 8) == mySeq) {
                    interrupted |= (flags & Netlink.NLM_F_DUMP_INTR) != 0;
                    if (type == Netlink.NLMSG_DONE) {
                        int err = len >= Netlink.NLMSG_HDRLEN + 4 ? recvBuf.getInt(pos + Netlink.NLMSG_HDRLEN) : 0;
                        if (err < 0) {
                            throw error(operation, -err, pos, len);
                        }
                        return !interrupted;
                    }
                    if (type == Netlink.NLMSG_ERROR) {
                        int err = recvBuf.getInt(pos + Netlink.NLMSG_HDRLEN);
                        throw error(operation, err == 0 ? Errno.EIO : -err, pos, len);
                    }
                    parts.add(copy(pos, len));
                }
                pos += Netlink.align(len);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            libc.close(fd);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new NativeException("using a closed netlink socket", Errno.EBADF, "socket closed");
        }
    }

    private void send(int length, String operation) {
        while (true) {
            long n = libc.send(fd, sendPtr, length, 0);
            if (n >= 0) {
                return;
            }
            if (Native.errno() != Errno.EINTR) {
                throw Native.error(operation + " (netlink send)");
            }
        }
    }

    private int receive(String operation) {
        while (true) {
            long n = libc.recv(fd, recvPtr, BUFFER_SIZE, Netlink.MSG_TRUNC);
            if (n > BUFFER_SIZE) {
                throw new NativeException(operation, Errno.ENOBUFS, "netlink reply of " + n + " bytes did not fit");
            }
            if (n >= 0) {
                return (int) n;
            }
            if (Native.errno() != Errno.EINTR) {
                throw Native.error(operation + " (netlink receive)");
            }
        }
    }

    private ByteBuffer copy(int pos, int len) {
        byte[] b = new byte[len];
        recvBuf.get(pos, b);
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    }

    /** Turns an NLMSG_ERROR (or DONE) at {@code pos} into an exception, with the kernel's text. */
    private NativeException error(String operation, int errno, int pos, int len) {
        StringBuilder text = new StringBuilder(libc.strerror(errno));
        String kernelText = extAckMessage(pos, len);
        if (kernelText != null && !kernelText.isEmpty()) {
            text.append("; kernel says: ").append(kernelText);
        }
        if (errno == Errno.EPERM) {
            text.append("; changing network devices needs CAP_NET_ADMIN");
        }
        return new NativeException(operation, errno, text.toString());
    }

    private String extAckMessage(int pos, int len) {
        int flags = Short.toUnsignedInt(recvBuf.getShort(pos + 6));
        int type = Short.toUnsignedInt(recvBuf.getShort(pos + 4));
        if ((flags & Netlink.NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        int tlvs;
        if (type == Netlink.NLMSG_DONE) {
            tlvs = pos + Netlink.NLMSG_HDRLEN + 4;
        } else {
            // struct nlmsgerr: int error, then the request's header (and payload unless capped)
            int echoed = (flags & Netlink.NLM_F_CAPPED) != 0 ? Netlink.NLMSG_HDRLEN
                    : Netlink.align(recvBuf.getInt(pos + Netlink.NLMSG_HDRLEN + 4));
            tlvs = pos + Netlink.NLMSG_HDRLEN + 4 + echoed;
        }
        if (tlvs >= pos + len) {
            return null;
        }
        return NlAttrs.parse(recvBuf, tlvs, pos + len).string(Netlink.NLMSGERR_ATTR_MSG);
    }
}
