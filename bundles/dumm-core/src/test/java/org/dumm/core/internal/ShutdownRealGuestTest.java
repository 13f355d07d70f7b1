package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.api.GuestState;
import org.dumm.nativ.net.DeviceMarker;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * A guest's {@code /etc/dumm/shutdown} on real UML guests (busybox master): it runs on a graceful
 * stop, a paused guest's too, and what it writes under {@code /root} is in the guest's diff on
 * the host once the guest is down; a guest without one, or with one that fails or hangs, still
 * stops. Names start with {@code dmh}; its own device marker.
 */
public class ShutdownRealGuestTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmhtest:", 3971);
    private static final Duration EXEC = Duration.ofSeconds(20);
    private static final Duration STOP = Duration.ofSeconds(10);
    /** Writes the guest's name and an interface's address, so the file tells whose it is and when it ran. */
    private static final String WRITE_BYE = "mkdir -p /root/dmh\n"
            + "echo \"bye from $(hostname) $(ip -4 -o addr show dev eth0 | awk '{print $4}')\" >/root/dmh/bye\n"
            + "echo done\n";

    private MeshFixture fx;
    private MeshManager mesh;

    @Before
    public void setUp() throws Exception {
        fx = new MeshFixture("dmh", MARKER);
        mesh = fx.mesh;
        mesh.createBridge("dmhbr");
        for (String g : List.of("dmha", "dmhb", "dmhc")) {
            mesh.createGuest(GuestDefinition.named(g));
            mesh.addInterface(g, "eth0", "dmhbr", null, org.dumm.api.Transport.TUNTAP);
        }
        mesh.addAddress("dmha", "eth0", "10.97.1.1/24");
        mesh.addAddress("dmhb", "eth0", "10.97.1.2/24");
        mesh.addAddress("dmhc", "eth0", "10.97.1.3/24");
    }

    @After
    public void tearDown() {
        fx.close();
    }

    @Test
    public void aGracefulStopRunsTheShutdownWhileTheGuestIsStillUp() throws Exception {
        // dmha's script is there before the boot; dmhb gets its own while running (the host looks
        // at the live root at stop time); dmhc has none
        writeScript("dmha", WRITE_BYE);
        assertEquals(Map.of(), mesh.startGuests(List.of("dmha", "dmhb", "dmhc"), line -> { }));
        out("dmhb", "mkdir -p /etc/dumm && printf '%s' '" + WRITE_BYE.replace("'", "'\\''") + "' >" + InGuest.SHUTDOWN_SCRIPT);
        mesh.pauseGuest("dmhb");
        assertEquals(GuestState.PAUSED, mesh.guest("dmhb").orElseThrow().state());

        mesh.stopGuest("dmha", STOP);
        assertEquals(GuestState.STOPPED, mesh.guest("dmha").orElseThrow().state());
        assertEquals("bye from dmha 10.97.1.1/24\n", Files.readString(diff("dmha").resolve("root/dmh/bye")));
        assertEquals("done\n", Files.readString(diff("dmha").resolve(InGuest.SHUTDOWN_LOG.substring(1))));

        assertEquals(Map.of(), mesh.stopGuests(List.of("dmhb", "dmhc"), STOP, line -> { }));
        assertEquals(GuestState.STOPPED, mesh.guest("dmhb").orElseThrow().state());
        assertEquals(GuestState.STOPPED, mesh.guest("dmhc").orElseThrow().state());
        assertEquals("the paused guest was resumed for its script", "bye from dmhb 10.97.1.2/24\n",
                Files.readString(diff("dmhb").resolve("root/dmh/bye")));
        assertFalse("no script, no exec: nothing logged", Files.exists(diff("dmhc").resolve(InGuest.SHUTDOWN_LOG.substring(1))));
        assertFalse(Files.exists(diff("dmhc").resolve("root/dmh")));

        // and it runs on every graceful stop, not only the first
        Files.delete(diff("dmha").resolve("root/dmh/bye"));
        mesh.startGuest("dmha");
        mesh.stopGuest("dmha", STOP);
        assertEquals("bye from dmha 10.97.1.1/24\n", Files.readString(diff("dmha").resolve("root/dmh/bye")));
    }

    @Test
    public void aFailingOrHangingShutdownDoesNotKeepTheGuestUp() throws Exception {
        writeScript("dmha", "echo partial\nexit 3\n");
        // sleeps far beyond its share of the stop's timeout; the guest must still go down
        writeScript("dmhb", "mkdir -p /root/dmh; echo started >/root/dmh/hang; sync; sleep 600; echo never >/root/dmh/hang\n");
        assertEquals(Map.of(), mesh.startGuests(List.of("dmha", "dmhb"), line -> { }));
        long pidA = mesh.guest("dmha").orElseThrow().pid();
        long pidB = mesh.guest("dmhb").orElseThrow().pid();

        mesh.stopGuest("dmha", STOP);
        assertEquals(GuestState.STOPPED, mesh.guest("dmha").orElseThrow().state());
        assertEquals("partial\n", Files.readString(diff("dmha").resolve(InGuest.SHUTDOWN_LOG.substring(1))));
        assertFalse(ProcessHandle.of(pidA).map(ProcessHandle::isAlive).orElse(false));

        mesh.stopGuest("dmhb", Duration.ofSeconds(4));
        assertEquals(GuestState.STOPPED, mesh.guest("dmhb").orElseThrow().state());
        assertFalse("the guest's process is gone", ProcessHandle.of(pidB).map(ProcessHandle::isAlive).orElse(false));
        assertEquals("the script ran, and was cut short", "started\n", Files.readString(diff("dmhb").resolve("root/dmh/hang")));
        // a stopped guest starts again after the cut-short script
        mesh.startGuest("dmhb");
        assertTrue(mesh.exec("dmhb", "true", EXEC).succeeded());
    }

    private Path diff(String guest) {
        return fx.workDir.resolve("guests/" + guest + "/diff");
    }

    private void writeScript(String guest, String text) throws Exception {
        Path script = diff(guest).resolve(InGuest.SHUTDOWN_SCRIPT.substring(1));
        Files.createDirectories(script.getParent());
        Files.writeString(script, text);
    }

    private String out(String guest, String command) {
        ExecResult r = mesh.exec(guest, command, EXEC);
        assertEquals("'" + command + "' in " + guest + ": " + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }
}
