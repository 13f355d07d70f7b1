package org.dumm.templates.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a POSIX tar stream (ustar headers; a pax 'x' header before a member whose path, link
 * target, size, ids or time do not fit ustar's fields). Readable by GNU tar and bsdtar.
 */
final class TarWriter {

    static final int BLOCK = 512;
    private static final long MAX_OCTAL_11 = 077777777777L;
    private static final long MAX_OCTAL_7 = 07777777L;

    private final OutputStream out;
    private final byte[] zeros = new byte[BLOCK];

    TarWriter(OutputStream out) {
        this.out = out;
    }

    /** Adds a member; {@code content} supplies exactly {@code e.size()} bytes for a FILE, else is null. */
    void add(TarEntry e, InputStream content) throws IOException {
        String path = e.type() == TarEntry.Type.DIR ? e.name() + "/" : e.name();
        Map<String, String> pax = new LinkedHashMap<>();
        byte[] h = new byte[BLOCK];

        byte[] p = utf8(path);
        if (p.length <= 100) {
            put(h, 0, p, 100);
        } else {
            int split = splitPoint(p);
            if (split > 0) {
                put(h, 345, java.util.Arrays.copyOfRange(p, 0, split), 155);
                put(h, 0, java.util.Arrays.copyOfRange(p, split + 1, p.length), 100);
            } else {
                pax.put("path", path);
                put(h, 0, java.util.Arrays.copyOfRange(p, p.length - 100, p.length), 100);
            }
        }
        if (e.linkName() != null) {
            byte[] l = utf8(e.linkName());
            if (l.length > 100) {
                pax.put("linkpath", e.linkName());
            } else {
                put(h, 157, l, 100);
            }
        }
        octal(h, 100, 8, e.mode() & 07777);
        octal(h, 108, 8, fit(e.uid(), MAX_OCTAL_7, "uid", pax));
        octal(h, 116, 8, fit(e.gid(), MAX_OCTAL_7, "gid", pax));
        octal(h, 124, 12, fit(e.size(), MAX_OCTAL_11, "size", pax));
        long mtime = e.mtime() < 0 ? fitNegative(e.mtime(), pax) : fit(e.mtime(), MAX_OCTAL_11, "mtime", pax);
        octal(h, 136, 12, mtime);
        h[156] = (byte) e.type().flag;
        put(h, 257, new byte[] {'u', 's', 't', 'a', 'r', 0}, 6);
        put(h, 263, new byte[] {'0', '0'}, 2);
        if (e.type() == TarEntry.Type.CHAR || e.type() == TarEntry.Type.BLOCK) {
            octal(h, 329, 8, e.devMajor());
            octal(h, 337, 8, e.devMinor());
        }
        if (!pax.isEmpty()) {
            writePax(pax, path);
        }
        checksum(h);
        out.write(h);
        if (e.type() == TarEntry.Type.FILE && e.size() > 0) {
            long copied = content.transferTo(new BoundedOutput(out, e.size()));
            if (copied != e.size()) {
                throw new IOException(e.name() + " changed size while it was archived");
            }
            pad(e.size());
        }
    }

    /** Ends the archive: two zero blocks. */
    void finish() throws IOException {
        out.write(zeros);
        out.write(zeros);
        out.flush();
    }

    private void writePax(Map<String, String> pax, String path) throws IOException {
        StringBuilder data = new StringBuilder();
        for (Map.Entry<String, String> r : pax.entrySet()) {
            data.append(record(r.getKey(), r.getValue()));
        }
        byte[] d = utf8(data.toString());
        byte[] h = new byte[BLOCK];
        String base = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        base = base.substring(base.lastIndexOf('/') + 1);
        byte[] n = utf8("PaxHeaders/" + base);
        put(h, 0, java.util.Arrays.copyOf(n, Math.min(n.length, 100)), 100);
        octal(h, 100, 8, 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, d.length);
        octal(h, 136, 12, 0);
        h[156] = 'x';
        put(h, 257, new byte[] {'u', 's', 't', 'a', 'r', 0}, 6);
        put(h, 263, new byte[] {'0', '0'}, 2);
        checksum(h);
        out.write(h);
        out.write(d);
        pad(d.length);
    }

    /** A pax record "LEN key=value\n", where LEN counts the whole record including itself. */
    static String record(String key, String value) {
        int body = utf8(" " + key + "=" + value + "\n").length;
        int len = body + Integer.toString(body).length();
        if (Integer.toString(len).length() != Integer.toString(body).length()) {
            len = body + Integer.toString(len).length();
        }
        return len + " " + key + "=" + value + "\n";
    }

    private static long fit(long value, long max, String key, Map<String, String> pax) {
        if (value > max) {
            pax.put(key, Long.toString(value));
            return 0;
        }
        return value;
    }

    private static long fitNegative(long mtime, Map<String, String> pax) {
        pax.put("mtime", Long.toString(mtime));
        return 0;
    }

    /** Index of a '/' that splits {@code p} into a prefix of at most 155 bytes and a name of at most 100. */
    private static int splitPoint(byte[] p) {
        for (int i = Math.min(155, p.length - 2); i > 0; i--) {
            if (p[i] == '/' && p.length - i - 1 <= 100 && p.length - i - 1 > 0) {
                return i;
            }
        }
        return -1;
    }

    private void pad(long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(zeros, 0, BLOCK - rest);
        }
    }

    private static void put(byte[] h, int off, byte[] value, int len) {
        System.arraycopy(value, 0, h, off, Math.min(value.length, len));
    }

    private static void octal(byte[] h, int off, int len, long value) {
        String s = Long.toOctalString(value);
        int digits = len - 1;
        for (int i = 0; i < digits; i++) {
            int from = s.length() - digits + i;
            h[off + i] = (byte) (from < 0 ? '0' : s.charAt(from));
        }
        h[off + digits] = 0;
    }

    /** Header checksum: the unsigned byte sum with the checksum field read as spaces. */
    private static void checksum(byte[] h) {
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        String s = String.format("%06o", sum);
        for (int i = 0; i < 6; i++) {
            h[148 + i] = (byte) s.charAt(i);
        }
        h[154] = 0;
        h[155] = ' ';
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Passes through at most {@code limit} bytes; a file that grew is cut to the size in its header. */
    private static final class BoundedOutput extends OutputStream {
        private final OutputStream out;
        private long left;

        BoundedOutput(OutputStream out, long limit) {
            this.out = out;
            this.left = limit;
        }

        @Override
        public void write(int b) throws IOException {
            if (left > 0) {
                out.write(b);
                left--;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int n = (int) Math.min(len, left);
            if (n > 0) {
                out.write(b, off, n);
                left -= n;
            }
        }
    }
}
