package org.dumm.nativ;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.dumm.api.DummException;
import org.junit.Test;

public class NativeTest {

    @Test
    public void getpidMatchesTheJvm() {
        assertEquals(ProcessHandle.current().pid(), Native.libc().getpid());
    }

    @Test
    public void failedCallCarriesErrnoAndName() {
        int fd = Native.libc().open("/nonexistent/dumm-test", Fcntl.O_RDONLY, 0);
        assertEquals(-1, fd);
        NativeException e = Native.error("opening /nonexistent/dumm-test");
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals(DummException.Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage(), e.getMessage().startsWith("opening /nonexistent/dumm-test: ENOENT ("));
    }

    @Test
    public void checkThrowsOnNegative() {
        try {
            Native.check(Native.libc().close(-1), "closing fd -1");
            fail("close(-1) succeeded");
        } catch (NativeException e) {
            assertEquals(Errno.EBADF, e.errno());
        }
    }

    @Test
    public void personalityIsPerThreadAndRestorable() throws Exception {
        int before = Native.libc().personality(Fcntl.PERSONALITY_QUERY);
        int[] seenInThread = new int[1];
        Thread t = new Thread(() -> {
            int old = Native.libc().personality(before | Fcntl.ADDR_NO_RANDOMIZE);
            seenInThread[0] = Native.libc().personality(Fcntl.PERSONALITY_QUERY);
            Native.libc().personality(old);
        });
        t.start();
        t.join();
        assertTrue((seenInThread[0] & Fcntl.ADDR_NO_RANDOMIZE) != 0);
        assertEquals(before, Native.libc().personality(Fcntl.PERSONALITY_QUERY));
    }
}
