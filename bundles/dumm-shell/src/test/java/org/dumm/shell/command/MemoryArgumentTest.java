package org.dumm.shell.command;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import org.dumm.api.DummException;
import org.junit.Test;

public class MemoryArgumentTest {

    @Test
    public void parsesSizes() {
        assertEquals(0, GuestCreateCommand.parseMemory(null));
        assertEquals(64, GuestCreateCommand.parseMemory("64M"));
        assertEquals(64, GuestCreateCommand.parseMemory("64m"));
        assertEquals(2048, GuestCreateCommand.parseMemory("2G"));
        assertEquals(128, GuestCreateCommand.parseMemory("128"));
    }

    @Test
    public void refusesNonsense() {
        for (String bad : new String[] {"-5M", "0M", "", "5K", "lots", "99999999999M"}) {
            try {
                GuestCreateCommand.parseMemory(bad);
                fail(bad);
            } catch (DummException e) {
                assertEquals(DummException.Reason.INVALID_ARGUMENT, e.reason());
            }
        }
    }
}
