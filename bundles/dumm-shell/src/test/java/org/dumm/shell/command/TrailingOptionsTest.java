package org.dumm.shell.command;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;

import org.dumm.api.DummException;
import org.junit.Test;

public class TrailingOptionsTest {

    @Test
    public void setsOptionFieldsFromTrailingTokens() {
        GuestCreateCommand c = new GuestCreateCommand();
        List<String> rest = TrailingOptions.apply(c, List.of("--mem", "128M", "--args=lpj=1 quiet", "--kernel", "/k"));
        assertEquals(List.of(), rest);
        assertEquals("128M", c.memory);
        assertEquals("lpj=1 quiet", c.args);
        assertEquals("/k", c.kernel);
    }

    @Test
    public void booleansIntsAndAliasesAndPlainArgumentsAreKept() {
        GuestDeleteCommand d = new GuestDeleteCommand();
        assertEquals(List.of("a", "b"), TrailingOptions.apply(d, List.of("a", "-f", "b")));
        assertTrue(d.force);
        GuestStopCommand s = new GuestStopCommand();
        TrailingOptions.apply(s, List.of("x", "--timeout", "3", "--all"));
        assertEquals(3, s.timeoutSeconds);
        assertTrue(s.all);
    }

    @Test
    public void unknownOptionsMissingValuesAndExtraArgumentsAreRefused() {
        for (List<String> bad : List.of(List.of("--nope"), List.of("--mem"), List.of("extra"))) {
            try {
                TrailingOptions.applyAll(new GuestCreateCommand(), bad);
                fail(bad.toString());
            } catch (DummException e) {
                assertEquals(DummException.Reason.INVALID_ARGUMENT, e.reason());
            }
        }
        try {
            TrailingOptions.apply(new GuestStopCommand(), List.of("--timeout", "soon"));
            fail();
        } catch (DummException e) {
            assertTrue(e.getMessage().contains("number"));
        }
    }

    @Test
    public void aRepeatableOptionCollectsEachValue() {
        LabCommands.Apply a = new LabCommands.Apply();
        TrailingOptions.applyAll(a, List.of("--image", "kathara/base=busybox", "--dry-run", "--image=frr=deb"));
        assertEquals(List.of("kathara/base=busybox", "frr=deb"), a.image);
        assertTrue(a.dryRun);
    }
}
