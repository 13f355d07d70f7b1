package org.dumm.uml.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;

import jnr.ffi.byref.IntByReference;

import org.dumm.api.spi.GuestSpec;
import org.dumm.nativ.CpuAffinity;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.Native;
import org.junit.Test;

/** How a guest is launched: its kernel arguments and the host CPU it is placed on. */
public class LaunchSettingsTest {

    private static final Path ROOT = Path.of("/srv/none/root");
    private static final Path RUN = Path.of("/srv/none/run");

    @Test
    public void legacyPtysAreOffUnlessAnExtraArgumentAsksForThem() {
        GuestSpec plain = Fixtures.spec("dmvargs", ROOT, RUN);
        assertTrue(UmlBackend.commandLine(plain).contains("pty.legacy_count=0"));

        GuestSpec wants = new GuestSpec("dmvargs", plain.kernel(), ROOT, RUN, 64, List.of("pty.legacy_count=4"),
                List.of(), Duration.ofSeconds(5), 0);
        List<String> args = UmlBackend.commandLine(wants);
        assertFalse(args.contains("pty.legacy_count=0"));
        assertEquals(1, args.stream().filter(a -> a.startsWith("pty.legacy_count=")).count());
    }

    @Test
    public void placerSpreadsGuestsOverTheJvmsCpusAndForgetsReleasedOnes() {
        BitSet mine = CpuAffinity.of(0);
        CpuPlacer placer = new CpuPlacer(true);
        if (mine.cardinality() < 2) {
            assertFalse("one CPU: nothing to choose, placement is off", placer.enabled());
            assertEquals(-1, placer.take());
            return;
        }
        int n = mine.cardinality();
        int[] count = new int[mine.length()];
        int[] taken = new int[2 * n];
        for (int i = 0; i < taken.length; i++) {
            taken[i] = placer.take();
            assertTrue("CPU " + taken[i] + " is one the JVM may use", mine.get(taken[i]));
            count[taken[i]]++;
        }
        for (int cpu = mine.nextSetBit(0); cpu >= 0; cpu = mine.nextSetBit(cpu + 1)) {
            assertEquals("two guests on CPU " + cpu, 2, count[cpu]);
        }
        placer.release(taken[0]);
        assertEquals("the freed CPU is the least used one", taken[0], placer.take());
        assertEquals(-1, new CpuPlacer(false).take());
    }

    @Test
    public void aSpawnedProcessRunsOnTheCpuItWasGivenAndIsAdoptedThere() throws Exception {
        BitSet mine = CpuAffinity.of(0);
        int cpu = mine.previousSetBit(mine.length());
        Path log = Files.createTempFile("dumm-spawn", ".log");
        int pid = Spawner.spawn(List.of("/bin/sleep", "30"), List.of(), log.toString(), "/", new int[0], true, 0, cpu);
        try {
            BitSet expected = new BitSet();
            expected.set(cpu);
            assertEquals(expected, CpuAffinity.of(pid));
            // the JVM thread that asked is not pinned: the spawn ran on a thread of its own
            assertEquals(mine, CpuAffinity.of(0));
            CpuPlacer placer = new CpuPlacer(true);
            if (placer.enabled()) {
                assertEquals(cpu, placer.adopt(pid));
                assertEquals(-1, placer.adopt(Native.libc().getpid())); // the JVM itself is not pinned
            }
        } finally {
            Native.libc().kill(pid, Fcntl.SIGKILL);
            Native.libc().waitpid(pid, new IntByReference(), 0);
            Files.deleteIfExists(log);
        }
    }
}
