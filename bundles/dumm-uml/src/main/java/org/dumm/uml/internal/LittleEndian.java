package org.dumm.uml.internal;

/**
 * 32-bit integers in the byte order of the mconsole and agent frames. Both are read by code in
 * the guest's kernel or agent in host byte order, and Dumm's hosts are little-endian (x86_64,
 * aarch64).
 */
final class LittleEndian {

    private LittleEndian() {
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    static int getInt(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
