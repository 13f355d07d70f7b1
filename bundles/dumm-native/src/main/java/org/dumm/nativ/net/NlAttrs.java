package org.dumm.nativ.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The attributes of one netlink message or nested attribute, indexed by type. Each value is a
 * view (offset, length) into the received bytes; nothing is copied until asked for.
 */
public final class NlAttrs {

    private static final int MAX_TYPE = 128;

    private final ByteBuffer buf;
    private final int[] offsets = new int[MAX_TYPE];
    private final int[] lengths = new int[MAX_TYPE];

    private NlAttrs(ByteBuffer buf) {
        this.buf = buf;
    }

    /** Parses the attributes between {@code from} and {@code to} in {@code buf}. */
    public static NlAttrs parse(ByteBuffer buf, int from, int to) {
        NlAttrs a = new NlAttrs(buf.duplicate().order(ByteOrder.nativeOrder()));
        int pos = from;
        while (pos + Netlink.NLA_HDRLEN <= to) {
            int len = Short.toUnsignedInt(a.buf.getShort(pos));
            int type = Short.toUnsignedInt(a.buf.getShort(pos + 2)) & Netlink.NLA_TYPE_MASK;
            if (len < Netlink.NLA_HDRLEN || pos + len > to) {
                break; // malformed tail: keep what parsed cleanly
            }
            if (type < MAX_TYPE) {
                a.offsets[type] = pos + Netlink.NLA_HDRLEN;
                a.lengths[type] = len - Netlink.NLA_HDRLEN + 1; // +1 so that 0 means "absent"
            }
            pos += Netlink.align(len);
        }
        return a;
    }

    public boolean has(int type) {
        return type < MAX_TYPE && lengths[type] > 0;
    }

    private int length(int type) {
        return lengths[type] - 1;
    }

    /** u32 value, or {@code absent} if the attribute is missing or too short. */
    public int u32(int type, int absent) {
        return has(type) && length(type) >= 4 ? buf.getInt(offsets[type]) : absent;
    }

    /** u8 value, or {@code absent}. */
    public int u8(int type, int absent) {
        return has(type) && length(type) >= 1 ? Byte.toUnsignedInt(buf.get(offsets[type])) : absent;
    }

    /** String value up to its first NUL, or null. */
    public String string(int type) {
        if (!has(type)) {
            return null;
        }
        int off = offsets[type];
        int len = length(type);
        int end = off;
        while (end < off + len && buf.get(end) != 0) {
            end++;
        }
        byte[] b = new byte[end - off];
        buf.get(off, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Raw bytes, or null. */
    public byte[] bytes(int type) {
        if (!has(type)) {
            return null;
        }
        byte[] b = new byte[length(type)];
        buf.get(offsets[type], b);
        return b;
    }

    /** The attributes nested inside attribute {@code type} (empty when it is absent). */
    public NlAttrs nested(int type) {
        if (!has(type)) {
            return new NlAttrs(buf);
        }
        return parse(buf, offsets[type], offsets[type] + length(type));
    }
}
