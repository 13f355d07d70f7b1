package org.dumm.nativ.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.dumm.nativ.Errno;

/**
 * Requests for a kernel reached through another channel than a socket of this process (a
 * guest's kernel, through the guest's agent): encodes them into one buffer with sequence
 * numbers 1..n, and reads back what that kernel answered.
 */
public final class NlBatch {

    private final List<NlMessage> requests = new ArrayList<>();
    private final List<String> operations = new ArrayList<>();
    private final List<Boolean> lenient = new ArrayList<>();

    /** Adds a request; {@code operation} names it in errors. */
    public NlBatch add(NlMessage m, String operation) {
        requests.add(m);
        operations.add(operation);
        lenient.add(false);
        return this;
    }

    /**
     * Adds a request whose "nothing to remove" or "already there" failures (ENOENT, ENODEV,
     * EEXIST, and EINVAL for the kernel's handle-0 default qdisc) are no failure: a removal or an
     * idempotent creation.
     */
    public NlBatch addLenient(NlMessage m, String operation) {
        add(m, operation);
        lenient.set(lenient.size() - 1, true);
        return this;
    }

    /** True when request {@code i} was added with {@link #addLenient}. */
    public boolean lenient(int i) {
        return lenient.get(i);
    }

    public int size() {
        return requests.size();
    }

    /** All requests, each asking for an acknowledgement, back to back. */
    public byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(64 * 1024);
        for (int i = 0; i < requests.size(); i++) {
            byte[] b = requests.get(i).toBytes(i + 1);
            if (b.length > out.remaining()) {
                throw new IllegalStateException("netlink batch over 64 KiB");
            }
            out.put(b);
            while ((out.position() & 3) != 0) {
                out.put((byte) 0);
            }
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    /** The answer to one request: its failure (null when acknowledged) and a reply message, if any. */
    public record Result(Failure failure, ByteBuffer message) {
    }

    /** A failure as data (errno and the kernel's text, or null), so callers choose which errno values they tolerate. */
    public record Failure(int errno, String text) {
    }

    /**
     * Matches the kernel's answers ({@code replies}: netlink messages back to back, as that
     * kernel sent them) to the requests by sequence number. A request without any answer gets
     * an EIO failure.
     */
    public List<Result> results(byte[] replies) {
        ByteBuffer buf = ByteBuffer.wrap(replies).order(ByteOrder.nativeOrder());
        Failure[] errors = new Failure[requests.size()];
        ByteBuffer[] messages = new ByteBuffer[requests.size()];
        boolean[] acked = new boolean[requests.size()];
        for (int pos = 0; pos + Netlink.NLMSG_HDRLEN <= replies.length; ) {
            int len = buf.getInt(pos);
            if (len < Netlink.NLMSG_HDRLEN || pos + len > replies.length) {
                break;
            }
            int type = Short.toUnsignedInt(buf.getShort(pos + 4));
            int k = buf.getInt(pos + 8) - 1;
            if (k >= 0 && k < requests.size()) {
                if (type == Netlink.NLMSG_ERROR) {
                    acked[k] = true;
                    int err = buf.getInt(pos + Netlink.NLMSG_HDRLEN);
                    if (err != 0) {
                        errors[k] = new Failure(-err, extAck(buf, pos, len));
                    }
                } else {
                    messages[k] = ByteBuffer.wrap(Arrays.copyOfRange(replies, pos, pos + len)).order(ByteOrder.nativeOrder());
                }
            }
            pos += Netlink.align(len);
        }
        List<Result> results = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            Failure f = errors[i] != null ? errors[i]
                    : acked[i] ? null : new Failure(Errno.EIO, "no answer");
            results.add(new Result(f, messages[i]));
        }
        return results;
    }

    /** The operation name of request {@code i}, for messages. */
    public String operation(int i) {
        return operations.get(i);
    }

    private static String extAck(ByteBuffer buf, int pos, int len) {
        int flags = Short.toUnsignedInt(buf.getShort(pos + 6));
        if ((flags & Netlink.NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        int echoed = (flags & Netlink.NLM_F_CAPPED) != 0 ? Netlink.NLMSG_HDRLEN
                : Netlink.align(buf.getInt(pos + Netlink.NLMSG_HDRLEN + 4));
        int tlvs = pos + Netlink.NLMSG_HDRLEN + 4 + echoed;
        return tlvs < pos + len ? NlAttrs.parse(buf, tlvs, pos + len).string(Netlink.NLMSGERR_ATTR_MSG) : null;
    }
}
