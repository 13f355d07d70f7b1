package org.dumm.nativ;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** A connected client against real path-bound datagram sockets, as UML's mconsole is one. */
public class UnixDatagramTest {

    private Path dir;
    private String path;
    private int server = -1;

    @Before
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("dmqud");
        path = dir.resolve("peer").toString();
        server = bindServer(path);
    }

    @After
    public void tearDown() throws Exception {
        if (server >= 0) {
            Native.libc().close(server);
        }
        Files.deleteIfExists(Path.of(path));
        Files.deleteIfExists(dir);
    }

    @Test
    public void aConnectedSocketTalksToItsPeerAndIsRefusedByOneMadeAnew() throws Exception {
        try (UnixDatagram client = UnixDatagram.open()) {
            client.connect(path);
            client.send("version".getBytes(StandardCharsets.UTF_8), 7);
            assertEquals("version", echo(server));
            byte[] got = new byte[64];
            int n = client.receive(got, 1000);
            assertEquals("version", new String(got, 0, n, StandardCharsets.UTF_8));

            // the peer is made anew under the same path (UML after a reboot): the old connection refuses
            Native.libc().close(server);
            Files.delete(Path.of(path));
            server = bindServer(path);
            NativeException refused = assertThrows(NativeException.class, () -> client.send(new byte[] {1}, 1));
            assertEquals(Errno.ECONNREFUSED, refused.errno());
        }
        try (UnixDatagram again = UnixDatagram.open()) {
            again.connect(path);
            again.send("halt".getBytes(StandardCharsets.UTF_8), 4);
            assertEquals("halt", echo(server));
        }
    }

    @Test
    public void connectingToNothingFailsAndTooLongAPathIsRefused() {
        try (UnixDatagram client = UnixDatagram.open()) {
            NativeException e = assertThrows(NativeException.class, () -> client.connect(dir.resolve("none").toString()));
            assertEquals(Errno.ENOENT, e.errno());
            String tooLong = "/" + "x".repeat(UnixDatagram.MAX_PATH_BYTES);
            assertEquals(Errno.ENAMETOOLONG, assertThrows(NativeException.class, () -> client.connect(tooLong)).errno());
        }
    }

    /** Receives one datagram on fd and sends it back to its sender; returns it as text. */
    private static String echo(int fd) {
        LibC c = Native.libc();
        Pointer buf = Native.allocate(256);
        Pointer from = Native.allocate(110);
        IntByReference fromLength = new IntByReference(110);
        long n = Native.check(c.recvfrom(fd, buf, 256, 0, from, fromLength), "recvfrom");
        Native.check(c.sendto(fd, buf, n, 0, from, fromLength.intValue()), "sendto");
        byte[] b = new byte[(int) n];
        buf.get(0, b, 0, b.length);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static int bindServer(String path) {
        LibC c = Native.libc();
        int fd = Native.check(c.socket(1, 2, 0), "socket"); // AF_UNIX, SOCK_DGRAM
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        Pointer address = Native.allocate(110);
        address.putShort(0, (short) 1);
        address.put(2, p, 0, p.length);
        address.putByte(2 + p.length, (byte) 0);
        Native.check(c.bind(fd, address, 2 + p.length + 1), "bind " + path);
        return fd;
    }
}
