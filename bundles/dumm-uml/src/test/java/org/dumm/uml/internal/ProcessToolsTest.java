package org.dumm.uml.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Test;

/** /proc reading against real processes: a command name with spaces and parentheses included. */
public class ProcessToolsTest {

    @Test
    public void groupMembersAreFoundAndTheirEndIsSeen() throws Exception {
        Path dir = Files.createTempDirectory("dmu-pt-");
        Path odd = dir.resolve("x) (y z");
        Files.copy(Path.of("/bin/sleep"), odd);
        assertTrue(odd.toFile().setExecutable(true));
        // sleep adds its intervals up: a second, tiny one makes an argument no other process has
        String marker = "0.000" + ProcessHandle.current().pid() + System.nanoTime() % 1000;
        // setsid: the sleep leads a group of its own, as a guest's linux.uml does
        Process p = new ProcessBuilder("setsid", odd.toString(), "30", marker).start();
        int pid = (int) p.pid();
        try {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!ProcessTools.cmdline(pid).equals(List.of(odd.toString(), "30", marker))
                    && System.nanoTime() < deadline) {
                Thread.sleep(10); // until setsid has made the group and exec'd the sleep
            }
            assertTrue(ProcessTools.isRunning(pid));
            assertTrue(ProcessTools.isOurChild(pid));
            assertEquals(List.of(pid), ProcessTools.members(pid, marker));
            assertEquals(List.of(), ProcessTools.members(pid, marker + "1"));
            assertFalse("the group is alive", ProcessTools.awaitGroupGone(pid, marker, 50));

            ProcessTools.killGroup(pid, marker);
            assertTrue(ProcessTools.awaitGroupGone(pid, marker, 5_000));
            assertFalse("gone or a zombie", ProcessTools.isRunning(pid));
        } finally {
            p.destroyForcibly();
            p.waitFor();
            Files.delete(odd);
            Files.delete(dir);
        }
        assertFalse(ProcessTools.isRunning(pid));
        assertFalse(ProcessTools.isOurChild(pid));
        assertEquals(List.of(), ProcessTools.members(pid, marker));
    }
}
