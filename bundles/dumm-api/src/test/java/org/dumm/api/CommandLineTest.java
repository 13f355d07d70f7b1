package org.dumm.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.List;

import org.junit.Test;

public class CommandLineTest {

    @Test
    public void oneWordIsACommandLineAsItStands() {
        assertEquals("echo a; echo b", CommandLine.of(List.of("echo a; echo b")));
    }

    @Test
    public void severalWordsAreAnArgumentVector() {
        assertEquals("sh -c 'echo a; echo b'", CommandLine.of(List.of("sh", "-c", "echo a; echo b")));
        assertEquals("printf '%s\\n' 'it'\\''s' '' '$HOME' '*'",
                CommandLine.of(List.of("printf", "%s\\n", "it's", "", "$HOME", "*")));
        assertEquals("ip -6 addr add fec1::10/16 dev eth0", CommandLine.of(List.of("ip", "-6", "addr", "add", "fec1::10/16", "dev", "eth0")));
    }

    @Test
    public void noCommandIsAnError() {
        assertEquals(DummException.Reason.INVALID_ARGUMENT,
                assertThrows(DummException.class, () -> CommandLine.of(List.of())).reason());
        assertThrows(DummException.class, () -> CommandLine.of(List.of("  ")));
    }
}
