package org.dumm.capture.internal;

import static org.junit.Assert.assertEquals;

import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Where a resumed capture may append: after the last whole frame of a file of this writer's kind. */
public class PcapWriterTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aFrameCutOffAtTheEndIsNotCountedAndOtherFilesAreNotAppendedTo() throws Exception {
        Path f = tmp.getRoot().toPath().resolve("a.pcap");
        try (PcapWriter w = new PcapWriter(new FileOutputStream(f.toFile()))) {
            w.write(1_000_000, new byte[60], 60, 60);
            w.write(2_000_000, new byte[100], 100, 1500); // cut to 100 bytes on capture: still whole in the file
        }
        long whole = 24 + 16 + 60 + 16 + 100;
        assertEquals(whole, Files.size(f));
        assertEquals(whole, PcapWriter.appendableLength(f));

        Files.write(f, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, StandardOpenOption.APPEND); // a header cut off
        assertEquals(whole, PcapWriter.appendableLength(f));
        byte[] header = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.nativeOrder())
                .putInt(3).putInt(0).putInt(500).putInt(500).array();
        Files.write(f, header, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE); // not a pcap header
        assertEquals(-1, PcapWriter.appendableLength(f));
        assertEquals(-1, PcapWriter.appendableLength(tmp.getRoot().toPath().resolve("missing.pcap")));
        assertEquals(-1, PcapWriter.appendableLength(tmp.getRoot().toPath()));

        // a frame whose bytes are cut off
        try (PcapWriter w = new PcapWriter(new FileOutputStream(f.toFile()))) {
            w.write(1_000_000, new byte[60], 60, 60);
        }
        Files.write(f, header, StandardOpenOption.APPEND);
        Files.write(f, new byte[200], StandardOpenOption.APPEND);
        assertEquals(24 + 16 + 60, PcapWriter.appendableLength(f));
    }
}
