package org.dumm.test.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The pieces a file is written in, run by a real /bin/sh as the guest's agent would run them. */
public class GuestFileWriteTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aLargeBinaryFileArrivesWholeInShortCommands() throws Exception {
        byte[] content = new byte[9000];
        new Random(7).nextBytes(content);
        Path target = tmp.getRoot().toPath().resolve("it's here/etc/big.bin");
        List<String> steps = GuestFileWrite.commands(target.toString(), content, "750");
        assertEquals(1 + 12000 / GuestFileWrite.PIECE, steps.size()); // 9000 bytes are 12000 base64 characters
        for (String step : steps) {
            assertTrue(step.length() + " characters", step.length() < 4096);
            Process p = new ProcessBuilder("/bin/sh", "-c", step).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(out, 0, p.waitFor());
        }
        assertArrayEquals(content, Files.readAllBytes(target));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    }

    @Test
    public void anEmptyFileIsCreated() throws Exception {
        Path target = tmp.getRoot().toPath().resolve("empty");
        List<String> steps = GuestFileWrite.commands(target.toString(), new byte[0], "644");
        assertEquals(1, steps.size());
        Process p = new ProcessBuilder("/bin/sh", "-c", steps.get(0)).start();
        assertEquals(0, p.waitFor());
        assertEquals(0, Files.size(target));
    }
}
