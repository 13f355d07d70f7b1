package org.dumm.templates.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

import org.junit.Test;

public class TarTest {

    private static byte[] write(List<TarEntry> entries, List<byte[]> contents) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(out);
        for (int i = 0; i < entries.size(); i++) {
            byte[] c = contents.get(i);
            w.add(entries.get(i), c == null ? null : new ByteArrayInputStream(c));
        }
        w.finish();
        return out.toByteArray();
    }

    @Test
    public void roundTripsNamesOfEveryLengthAndEveryType() throws IOException {
        String exactly100 = "a".repeat(100);
        String splittable = "p".repeat(150) + "/" + "n".repeat(99);
        String tooLong = "x".repeat(200) + "/" + "y".repeat(200);
        String unicode = "dmua/etc/grüße.txt";
        byte[] data = "hello tar\n".getBytes(UTF_8);
        byte[] big = new byte[70_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        List<TarEntry> entries = List.of(
                TarEntry.file(exactly100, 0644, 1000, 1000, 1_700_000_000L, data.length),
                TarEntry.file(splittable, 04755, 0, 0, 1, big.length),
                TarEntry.dir(tooLong, 01777, 3_000_000, 5, 2),
                TarEntry.symlink(unicode, "/" + "t".repeat(300), 0, 0, 3),
                new TarEntry("dmua/dev/null", TarEntry.Type.CHAR, 0666, 0, 0, 4, 0, null, 1, 3),
                new TarEntry("dmua/dev/pipe", TarEntry.Type.FIFO, 0600, 0, 0, -5, 0, null, 0, 0));
        byte[] tar = write(entries, java.util.Arrays.asList(data, big, null, null, null, null));
        assertEquals(0, tar.length % 512);

        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        TarEntry e = r.next();
        assertEquals(entries.get(0), e);
        assertArrayEquals(data, r.content().readAllBytes());
        e = r.next();
        assertEquals(entries.get(1), e);
        assertArrayEquals(big, r.content().readAllBytes());
        assertEquals(entries.get(2), r.next());
        assertEquals(entries.get(3), r.next()); // content of a symlink is never read: skipped by next()
        assertEquals(entries.get(4), r.next());
        assertEquals(entries.get(5), r.next());
        assertNull(r.next());
    }

    @Test
    public void paxRecordLengthCountsItself() {
        assertEquals("12 path=abc\n", TarWriter.record("path", "abc"));
        // 93 bytes of body plus two digits would be 95, but "95" is still two digits
        String r = TarWriter.record("path", "v".repeat(87));
        assertEquals(Integer.parseInt(r.substring(0, r.indexOf(' '))), r.getBytes(UTF_8).length);
        String r2 = TarWriter.record("path", "v".repeat(92)); // crosses from 2 to 3 length digits
        assertEquals(Integer.parseInt(r2.substring(0, r2.indexOf(' '))), r2.getBytes(UTF_8).length);
    }

    @Test
    public void corruptHeaderIsRejected() throws IOException {
        byte[] tar = write(List.of(TarEntry.file("f", 0644, 0, 0, 0, 0)), java.util.Arrays.asList((byte[]) null));
        tar[0] = 'g';
        try {
            new TarReader(new ByteArrayInputStream(tar)).next();
            fail("a header with a wrong checksum was accepted");
        } catch (TarReader.FormatException expected) {
            assertEquals("tar header checksum mismatch: not a tar archive, or a corrupt one", expected.getMessage());
        }
    }

    @Test
    public void base256NumbersAreRead() {
        byte[] h = new byte[12];
        h[0] = (byte) 0x80;
        h[10] = 0x01;
        h[11] = 0x02;
        assertEquals(0x0102, TarReader.number(h, 0, 12));
    }
}
