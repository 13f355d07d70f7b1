package org.dumm.templates.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a tar stream: POSIX ustar, pax extended headers ('x'; global 'g' ones are skipped)
 * and GNU long names ('L', 'K'), so archives from GNU tar and bsdtar import too.
 */
final class TarReader {

    private static final int BLOCK = TarWriter.BLOCK;

    /** The stream is not a well-formed tar archive. */
    static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        FormatException(String message) {
            super(message);
        }
    }
    private static final long MAX_META = 1 << 20;

    private final InputStream in;
    private long remaining;
    private long padding;

    TarReader(InputStream in) {
        this.in = in;
    }

    /** The next member, or null at the end of the archive. Its content is read with {@link #content}. */
    TarEntry next() throws IOException {
        skip(remaining + padding);
        remaining = 0;
        padding = 0;
        Map<String, String> pax = new HashMap<>();
        String longName = null;
        String longLink = null;
        while (true) {
            byte[] h = new byte[BLOCK];
            if (!readBlock(h)) {
                return null;
            }
            if (isZero(h)) {
                return null;
            }
            verifyChecksum(h);
            char flag = (char) h[156];
            long size = number(h, 124, 12);
            if (size < 0) {
                throw new FormatException("corrupt tar header: negative size");
            }
            if (flag == 'x' || flag == 'g' || flag == 'L' || flag == 'K') {
                if (size > MAX_META) {
                    throw new FormatException("tar extended header of " + size + " bytes is too large");
                }
                byte[] data = readFully((int) size);
                skip(pad(size));
                switch (flag) {
                    case 'x' -> pax.putAll(parsePax(data));
                    case 'L' -> longName = cString(data, 0, data.length);
                    case 'K' -> longLink = cString(data, 0, data.length);
                    default -> { } // global pax headers carry nothing Dumm uses
                }
                continue;
            }
            String name = cString(h, 0, 100);
            boolean posix = h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r' && h[262] == 0;
            if (posix) {
                String prefix = cString(h, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
            }
            if (longName != null) {
                name = longName;
            }
            String link = cString(h, 157, 100);
            if (longLink != null) {
                link = longLink;
            }
            name = pax.getOrDefault("path", name);
            link = pax.getOrDefault("linkpath", link);
            if (pax.containsKey("size")) {
                size = Long.parseLong(pax.get("size"));
            }
            long uid = pax.containsKey("uid") ? Long.parseLong(pax.get("uid")) : number(h, 108, 8);
            long gid = pax.containsKey("gid") ? Long.parseLong(pax.get("gid")) : number(h, 116, 8);
            long mtime = pax.containsKey("mtime") ? (long) Double.parseDouble(pax.get("mtime")) : number(h, 136, 12);
            int mode = (int) (number(h, 100, 8) & 07777);
            TarEntry.Type type = switch (flag) {
                case '0', '\0', '7' -> TarEntry.Type.FILE;
                case '1' -> TarEntry.Type.HARDLINK;
                case '2' -> TarEntry.Type.SYMLINK;
                case '3' -> TarEntry.Type.CHAR;
                case '4' -> TarEntry.Type.BLOCK;
                case '5' -> TarEntry.Type.DIR;
                case '6' -> TarEntry.Type.FIFO;
                default -> throw new FormatException("tar member '" + name + "' has unsupported type '" + flag + "'");
            };
            if (type == TarEntry.Type.FILE && name.endsWith("/")) {
                type = TarEntry.Type.DIR; // pre-POSIX archives mark directories by the slash only
            }
            while (name.endsWith("/") && name.length() > 1) {
                name = name.substring(0, name.length() - 1);
            }
            long dataSize = type == TarEntry.Type.FILE ? size : 0;
            // other types may still carry data blocks (rare); skip them with the member
            remaining = size;
            padding = pad(size);
            return new TarEntry(name, type, mode, uid, gid, mtime, dataSize,
                    type == TarEntry.Type.SYMLINK || type == TarEntry.Type.HARDLINK ? link : null,
                    number(h, 329, 8), number(h, 337, 8));
        }
    }

    /** The content of the member last returned by {@link #next}. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("tar archive ends inside a member");
                }
                remaining--;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new EOFException("tar archive ends inside a member");
                }
                remaining -= n;
                return n;
            }
        };
    }

    static Map<String, String> parsePax(byte[] data) throws IOException {
        Map<String, String> map = new HashMap<>();
        int i = 0;
        while (i < data.length) {
            int sp = i;
            while (sp < data.length && data[sp] != ' ') {
                sp++;
            }
            if (sp >= data.length) {
                break;
            }
            int len;
            try {
                len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new FormatException("corrupt pax header");
            }
            if (len <= 0 || i + len > data.length) {
                throw new FormatException("corrupt pax header");
            }
            String rec = new String(data, sp + 1, i + len - sp - 2, StandardCharsets.UTF_8);
            int eq = rec.indexOf('=');
            if (eq > 0) {
                map.put(rec.substring(0, eq), rec.substring(eq + 1));
            }
            i += len;
        }
        return map;
    }

    private static long pad(long size) {
        long rest = size % BLOCK;
        return rest == 0 ? 0 : BLOCK - rest;
    }

    private boolean readBlock(byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            int n = in.read(b, off, b.length - off);
            if (n < 0) {
                if (off == 0) {
                    return false;
                }
                throw new EOFException("tar archive ends inside a header");
            }
            off += n;
        }
        return true;
    }

    private byte[] readFully(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException("tar archive ends inside a member");
        }
        return b;
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            long s = in.skip(n);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("tar archive ends inside a member");
                }
                s = 1;
            }
            n -= s;
        }
    }

    private static boolean isZero(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static void verifyChecksum(byte[] h) throws IOException {
        long stored = number(h, 148, 8);
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : h[i];
            unsigned += b & 0xff;
            signed += (byte) b;
        }
        if (stored != unsigned && stored != signed) {
            throw new FormatException("tar header checksum mismatch: not a tar archive, or a corrupt one");
        }
    }

    /** A numeric field: octal digits (ended by NUL or space), or GNU base-256 when the top bit is set. */
    static long number(byte[] h, int off, int len) {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x7f;
            for (int i = 1; i < len; i++) {
                v = (v << 8) | (h[off + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        int i = off;
        while (i < off + len && (h[i] == ' ' || h[i] == 0)) {
            i++;
        }
        for (; i < off + len && h[i] >= '0' && h[i] <= '7'; i++) {
            v = (v << 3) | (h[i] - '0');
        }
        return v;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }
}
