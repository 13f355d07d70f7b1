package org.dumm.nativ;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

import jnr.ffi.Pointer;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class MountsTest {

    private Path dir;

    @Before
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("dmu-native-");
    }

    @After
    public void tearDown() throws Exception {
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @Test
    public void makedevMatchesWhatTheKernelReports() throws Exception {
        Path node = dir.resolve("null-copy");
        long dev = Mounts.makedev(1, 3);
        Native.check(Native.libc().mknod(node.toString(), Mounts.S_IFCHR | 0600, dev), "mknod");
        long rdev = (Long) Files.getAttribute(node, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
        assertEquals(dev, rdev);
        assertEquals(1, Mounts.major(rdev));
        assertEquals(3, Mounts.minor(rdev));
        assertEquals(0x12345, Mounts.major(Mounts.makedev(0x12345, 0x6789a)));
        assertEquals(0x6789a, Mounts.minor(Mounts.makedev(0x12345, 0x6789a)));
    }

    @Test
    public void statfsAndStatxTellTheMountAtAPath() {
        assertEquals(0x9fa0L, Mounts.fsType("/proc")); // PROC_SUPER_MAGIC
        assertEquals(Optional.of(true), Mounts.isMountRoot("/proc"));
        assertEquals(Optional.of(false), Mounts.isMountRoot("/proc/sys/kernel"));
        assertEquals(Optional.of(false), Mounts.isMountRoot(dir.toString()));
        try {
            Mounts.isMountRoot(dir.resolve("absent").toString());
            fail("statx of a missing path");
        } catch (NativeException e) {
            assertEquals(Errno.ENOENT, e.errno());
        }
    }

    @Test
    public void trustedXattrRoundTrip() throws Exception {
        Path d = Files.createDirectory(dir.resolve("d"));
        byte[] value = "y".getBytes(StandardCharsets.US_ASCII);
        Pointer in = Native.allocate(value.length);
        in.put(0, value, 0, value.length);
        Native.check(Native.libc().lsetxattr(d.toString(), "trusted.dumm.test", in, value.length, 0), "lsetxattr");
        Pointer out = Native.allocate(16);
        long n = Native.check(Native.libc().lgetxattr(d.toString(), "trusted.dumm.test", out, 16), "lgetxattr");
        assertEquals(1, n);
        assertEquals('y', out.getByte(0));
        assertEquals(-1, Native.libc().lgetxattr(d.toString(), "trusted.dumm.absent", out, 16));
        assertEquals(Errno.ENODATA, Native.errno());
    }
}
