package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.ExecSession;
import org.dumm.api.GuestDefinition;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.netns.internal.NetnsBackend;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Shell sessions on a real UML guest and a real netns guest (busybox master): shared shell state,
 * separate output and status per command, large output, exit and timeout ending a shell and the
 * next command getting a new one, background processes, the session limit and closes that free
 * their shells, and the session ending with its guest. Names start with {@code dms}.
 */
public class ExecSessionRealGuestTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmstest:", 3995);
    private static final Duration T = Duration.ofSeconds(20);
    private static MeshFixture fx;
    private static NetnsBackend netns;

    @BeforeClass
    public static void guests() throws Exception {
        fx = new MeshFixture("dms", MARKER);
        netns = new NetnsBackend(fx.veths);
        fx.restartWith(netns);
        fx.mesh.createGuest(new GuestDefinition("dmsuml", null, null, null, 64, List.of()));
        fx.mesh.createGuest(new GuestDefinition("dmsns", NetnsBackend.NAME, null, null, 32, List.of()));
        assertEquals(java.util.Map.of(), fx.mesh.startGuests(List.of("dmsuml", "dmsns"), line -> { }));
    }

    @AfterClass
    public static void tearDown() {
        try {
            fx.close();
        } finally {
            netns.deactivate();
        }
    }

    private static ExecResult ok(ExecSession s, String cmd) {
        ExecResult r = s.exec(cmd, T);
        assertEquals(s.guest() + ": " + cmd + ": " + r.stderrText(), 0, r.exitStatus());
        return r;
    }

    @Test
    public void aUmlGuestsSession() {
        commandsShareAShellAndKeepTheirOwnOutput("dmsuml");
    }

    @Test
    public void aNetnsGuestsSession() {
        commandsShareAShellAndKeepTheirOwnOutput("dmsns");
    }

    private void commandsShareAShellAndKeepTheirOwnOutput(String guest) {
        try (ExecSession s = fx.mesh.openSession(guest)) {
            ok(s, "dumm_x=41; f() { echo \"f$1\"; }");
            assertEquals("42\n", ok(s, "echo $((dumm_x + 1))").stdoutText());
            assertEquals("fy\n", ok(s, "f y").stdoutText());
            ok(s, "cd /tmp");
            assertEquals("the working directory is reset", "/root\n", ok(s, "pwd").stdoutText());

            ExecResult mixed = s.exec("echo out; echo err >&2; false", T);
            assertEquals(1, mixed.exitStatus());
            assertEquals("out\n", mixed.stdoutText());
            assertEquals("err\n", mixed.stderrText());
            assertEquals("", ok(s, "cat").stdoutText()); // stdin is /dev/null
            assertEquals(200_000, ok(s, "head -c 200000 /dev/zero | tr '\\0' a").stdoutText().length());
            assertEquals("a\nb\n", ok(s, "sh -c 'echo a; echo b'").stdoutText());

            // a background process neither holds the answer nor leaks into the next one's output
            long t0 = System.nanoTime();
            ok(s, "(sleep 1; echo late) & echo now");
            assertTrue("waited for the background process", System.nanoTime() - t0 < 900_000_000L);
            assertEquals("next\n", ok(s, "echo next").stdoutText());

            // exit ends the shell: the next command gets a new one, without the old state
            assertEquals(3, s.exec("exit 3", T).exitStatus());
            assertEquals("[]\n", ok(s, "echo \"[$dumm_x]\"").stdoutText());
            ok(s, "dumm_x=7");
            ExecResult slow = s.exec("sleep 30", Duration.ofMillis(300));
            assertTrue(slow.timedOut());
            assertEquals("[]\n", ok(s, "echo \"[$dumm_x]\"").stdoutText());

            // a burst: each answer its own
            for (int i = 0; i < 50; i++) {
                assertEquals(i + "\n", ok(s, "echo " + i).stdoutText());
            }
        }
    }

    @Test
    public void sessionsAreLimitedClosedAndEndWithTheirGuest() throws Exception {
        // closing frees the guest's shells: 20 in turn, more than it holds at once
        for (int i = 0; i < 20; i++) {
            try (ExecSession s = fx.mesh.openSession("dmsuml")) {
                ok(s, "true");
            }
        }
        List<ExecSession> open = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                open.add(fx.mesh.openSession("dmsns"));
            }
            DummException full = assertThrows(DummException.class, () -> fx.mesh.openSession("dmsns"));
            assertTrue(full.getMessage(), full.getMessage().contains("8 shell sessions are open already"));
        } finally {
            open.forEach(ExecSession::close);
        }
        ExecSession closed = fx.mesh.openSession("dmsns");
        closed.close();
        assertEquals(Reason.INVALID_STATE, assertThrows(DummException.class, () -> closed.exec("true", T)).reason());

        fx.mesh.createGuest(new GuestDefinition("dmsgone", NetnsBackend.NAME, null, null, 32, List.of()));
        fx.mesh.startGuest("dmsgone");
        ExecSession s = fx.mesh.openSession("dmsgone");
        ok(s, "true");
        fx.mesh.stopGuest("dmsgone", Duration.ofSeconds(5));
        DummException over = assertThrows(DummException.class, () -> s.exec("true", T));
        assertEquals(Reason.INVALID_STATE, over.reason());
        fx.mesh.startGuest("dmsgone");
        over = assertThrows(DummException.class, () -> s.exec("true", T));
        assertTrue(over.getMessage(), over.getMessage().contains("restarted"));
        s.close();
        assertEquals(Reason.NOT_FOUND, assertThrows(DummException.class, () -> fx.mesh.openSession("dmsnobody")).reason());
        fx.mesh.deleteGuest("dmsgone", true);
    }
}
