package org.dumm.capture.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
        this(out, true);
    }

    /** With {@code header} false it goes on after the frames of a file that has one (see {@link #appendableLength}). */
    PcapWriter(OutputStream out, boolean header) throws IOException {
        this.out = new BufferedOutputStream(out, 1 << 16);
        if (!header) {
            return;
        }
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

    /**
     * Where frames can be appended to {@code file}: the end of its last whole frame, or -1 if it
     * is not a pcap file of this writer's kind (byte order, snap length, Ethernet). A frame cut
     * off at the end (Dumm killed while writing) is not counted, so the caller truncates it away.
     * Reads the 16-byte header of each frame, not the frames.
     */
    static long appendableLength(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return -1;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
            if (size < 24 || ch.read(h, 0) != 24 || h.getInt(0) != 0xa1b2c3d4 || h.getInt(16) != SNAPLEN
                    || h.getInt(20) != LINKTYPE_ETHERNET) {
                return -1;
            }
            long at = 24;
            ByteBuffer rec = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            while (at + 16 <= size) {
                rec.clear();
                if (ch.read(rec, at) != 16) {
                    break;
                }
                long kept = Integer.toUnsignedLong(rec.getInt(8));
                if (kept > SNAPLEN || at + 16 + kept > size) {
                    break;
                }
                at += 16 + kept;
            }
            return at;
        }
    }

    void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
