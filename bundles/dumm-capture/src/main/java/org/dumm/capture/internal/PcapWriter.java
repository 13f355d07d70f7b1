package org.dumm.capture.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The classic libpcap file format (what {@code tcpdump -w} writes and every reader takes): a
 * 24-byte header (magic a1b2c3d4 in the writer's byte order, version 2.4, snap length, link type
 * 1 = Ethernet), then per frame its time in seconds and microseconds, the bytes kept and the
 * length on the wire, then the bytes.
 */
final class PcapWriter implements AutoCloseable {

    static final int SNAPLEN = 262144;
    private static final int LINKTYPE_ETHERNET = 1;

    private final OutputStream out;
    private final ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());

    PcapWriter(OutputStream out) throws IOException {
        this.out = new BufferedOutputStream(out, 1 << 16);
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
        h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(SNAPLEN)
                .putInt(LINKTYPE_ETHERNET);
        this.out.write(h.array());
        this.out.flush(); // a reader on a pipe learns the format at once
    }

    /** One frame: {@code kept} bytes of {@code frame}, {@code wireLength} long on the wire, at {@code micros} since the epoch. */
    void write(long micros, byte[] frame, int kept, int wireLength) throws IOException {
        header.clear();
        header.putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000)).putInt(kept).putInt(wireLength);
        out.write(header.array());
        out.write(frame, 0, kept);
    }

    void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
