package org.dumm.bench;

import java.nio.charset.StandardCharsets;

import org.dumm.nativ.UnixDatagram;

/**
 * Just enough of UML's mconsole protocol for the baseline to learn its console pty
 * ({@code config con1}) without spawning {@code uml_mconsole} in a polling loop:
 * request {@code u32 magic 0xcafebabe, u32 version 2, u32 len, char data[512]}, reply
 * {@code u32 err, u32 more, u32 len, char data[512]}, host byte order (little-endian here).
 */
final class MconsoleProbe {

    private MconsoleProbe() {
    }

    /** UML's answer text, or null when the socket does not answer (yet). Error answers start with "ERR ". */
    static String request(String socket, String command, int timeoutMillis) {
        byte[] req = new byte[12 + 512];
        byte[] cmd = command.getBytes(StandardCharsets.UTF_8);
        putInt(req, 0, 0xcafebabe);
        putInt(req, 4, 2);
        putInt(req, 8, cmd.length);
        System.arraycopy(cmd, 0, req, 12, cmd.length);
        try (UnixDatagram s = UnixDatagram.open()) {
            s.send(socket, req, req.length);
            byte[] reply = new byte[12 + 512];
            StringBuilder text = new StringBuilder();
            boolean error = false;
            boolean first = true;
            while (true) {
                int n = s.receive(reply, timeoutMillis);
                if (n < 12) {
                    return null;
                }
                if (first) {
                    error = getInt(reply, 0) != 0;
                    first = false;
                }
                int len = Math.min(getInt(reply, 8), n - 12);
                while (len > 0 && reply[12 + len - 1] == 0) {
                    len--;
                }
                text.append(new String(reply, 12, len, StandardCharsets.UTF_8));
                if (getInt(reply, 4) == 0) {
                    return (error ? "ERR " : "") + text;
                }
            }
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    private static int getInt(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
