package org.dumm.nativ.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Builds one netlink request: header, a fixed family header (e.g. ifinfomsg), then attributes,
 * possibly nested. Host byte order, 4-byte alignment. The socket fills in length and sequence.
 */
public final class NlMessage {

    private ByteBuffer buf = ByteBuffer.allocate(128).order(ByteOrder.nativeOrder());
    private final Deque<Integer> nests = new ArrayDeque<>();
    private final int type;
    private final int flags;

    /** A message of {@code type} (e.g. {@link Netlink#RTM_NEWLINK}) with NLM_F_* {@code flags}. */
    public NlMessage(int type, int flags) {
        this.type = type;
        this.flags = flags;
        buf.position(Netlink.NLMSG_HDRLEN);
    }

    /** A link message: header plus struct ifinfomsg for device {@code index} (0: by name / all). */
    public static NlMessage link(int type, int flags, int index, int ifFlags, int ifChange) {
        NlMessage m = new NlMessage(type, flags);
        m.ensure(Netlink.IFINFOMSG_LEN);
        m.buf.put((byte) Netlink.AF_UNSPEC).put((byte) 0).putShort((short) 0)
                .putInt(index).putInt(ifFlags).putInt(ifChange);
        return m;
    }

    /**
     * A bare struct ifinfomsg at the current position, without an attribute header: what a veth
     * pair's {@code VETH_INFO_PEER} nest starts with, before the peer's own attributes.
     */
    NlMessage ifinfo(int index, int ifFlags, int ifChange) {
        ensure(Netlink.IFINFOMSG_LEN);
        buf.put((byte) Netlink.AF_UNSPEC).put((byte) 0).putShort((short) 0)
                .putInt(index).putInt(ifFlags).putInt(ifChange);
        return this;
    }

    public int type() {
        return type;
    }

    public int flags() {
        return flags;
    }

    public NlMessage u8(int attr, int value) {
        header(attr, 1);
        buf.put((byte) value);
        pad();
        return this;
    }

    public NlMessage u32(int attr, int value) {
        header(attr, 4);
        buf.putInt(value);
        return this;
    }

    /** A NUL-terminated string attribute. */
    public NlMessage string(int attr, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        header(attr, b.length + 1);
        buf.put(b).put((byte) 0);
        pad();
        return this;
    }

    public NlMessage bytes(int attr, byte[] value) {
        header(attr, value.length);
        buf.put(value);
        pad();
        return this;
    }

    public NlMessage u16(int attr, int value) {
        header(attr, 2);
        buf.putShort((short) value);
        pad();
        return this;
    }

    public NlMessage u64(int attr, long value) {
        header(attr, 8);
        buf.putLong(value);
        return this;
    }

    /**
     * Appends bytes to the message or the open attribute as they are (a family header such as
     * struct tcmsg, or the C struct at the start of a qdisc's TCA_OPTIONS), padded to 4 bytes.
     */
    public NlMessage raw(byte[] value) {
        ensure(Netlink.align(value.length));
        buf.put(value);
        pad();
        return this;
    }

    /**
     * Opens an attribute whose payload is built by the calls that follow, without the nested
     * flag (traffic control's TCA_OPTIONS, which the kernel reads as bytes); close it with {@link #end()}.
     */
    public NlMessage beginPlain(int attr) {
        nests.push(buf.position());
        header(attr, 0);
        return this;
    }

    /**
     * The request as bytes with sequence number {@code seq}, asking for an acknowledgement: for
     * handing to a kernel over another channel (a guest's own kernel, through its agent).
     */
    public byte[] toBytes(int seq) {
        return encode(seq, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK);
    }

    /** Opens a nested attribute; close it with {@link #end()}. */
    public NlMessage begin(int attr) {
        nests.push(buf.position());
        header(attr | Netlink.NLA_F_NESTED, 0);
        return this;
    }

    /** Closes the innermost {@link #begin(int)}. */
    public NlMessage end() {
        int start = nests.pop();
        buf.putShort(start, (short) (buf.position() - start));
        return this;
    }

    /** The finished bytes: length, flags (plus {@code extraFlags}) and sequence in the header. */
    byte[] encode(int seq, int extraFlags) {
        if (!nests.isEmpty()) {
            throw new IllegalStateException("unclosed nested attribute");
        }
        int len = buf.position();
        buf.putInt(0, len).putShort(4, (short) type).putShort(6, (short) (flags | extraFlags)).putInt(8, seq).putInt(12, 0);
        return Arrays.copyOf(buf.array(), len);
    }

    private void header(int attr, int payload) {
        ensure(Netlink.align(Netlink.NLA_HDRLEN + payload));
        buf.putShort((short) (Netlink.NLA_HDRLEN + payload)).putShort((short) attr);
    }

    private void pad() {
        while ((buf.position() & 3) != 0) {
            buf.put((byte) 0);
        }
    }

    private void ensure(int more) {
        if (buf.remaining() < more) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + more))
                    .order(ByteOrder.nativeOrder());
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
    }
}
