package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.nativ.net.DeviceMarker;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * UML guests run jailed: a guest's root user mounting the host's root through hostfs finds only
 * the jail (its own root and run directory, the kernel, its libraries, a few devices), not the
 * host's /etc; without the jail (jailGuests=false) the same mount shows the host's files, so the
 * test tells the two apart. A template loaded and unloaded live still reaches a jailed guest.
 * Names start with {@code dmj}.
 */
public class UmlJailRealGuestTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmjtest:", 3996);
    private static final Duration T = Duration.ofSeconds(20);
    private MeshFixture fx;

    @Before
    public void setUp() throws Exception {
        fx = new MeshFixture("dmj", MARKER);
    }

    @After
    public void tearDown() {
        fx.close();
    }

    private String out(String guest, String cmd) {
        ExecResult r = fx.mesh.exec(guest, cmd, T);
        assertEquals(guest + ": " + cmd + ": " + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }

    private Set<String> hostRootSeenBy(String guest) {
        out(guest, "mkdir -p /mnt/h && mount -t hostfs none /mnt/h -o /");
        try {
            return new TreeSet<>(out(guest, "ls -A /mnt/h").lines().toList());
        } finally {
            out(guest, "umount /mnt/h");
        }
    }

    @Test
    public void hostfsFindsOnlyTheJail() {
        fx.mesh.createGuest(new GuestDefinition("dmjail", null, null, null, 64, List.of()));
        fx.mesh.startGuest("dmjail");
        Set<String> seen = hostRootSeenBy("dmjail");
        String top = fx.workDir.toAbsolutePath().getName(0).toString(); // the first part of its root's path
        Set<String> allowed = Set.of("dev", "lib", "lib64", "proc", "usr", top);
        assertTrue("the jail shows " + seen, allowed.containsAll(seen) && seen.contains(top));
        assertFalse(seen.contains("etc"));
        assertEquals("cpuinfo\n", out("dmjail", "mount -t hostfs none /mnt/h -o /proc && ls /mnt/h; umount /mnt/h"));
        // no way out upwards, nothing written into the jail's own files
        ExecResult up = fx.mesh.exec("dmjail", "mount -t hostfs none /mnt/h -o /../../etc && cat /mnt/h/passwd", T);
        assertTrue(up.stdoutText(), up.exitStatus() != 0 && !up.stdoutText().contains("root:"));
        fx.mesh.exec("dmjail", "umount /mnt/h", T);
        ExecResult write = fx.mesh.exec("dmjail", "mount -t hostfs none /mnt/h -o /usr && touch /mnt/h/dmj-x", T);
        assertTrue("wrote into the host's /usr", write.exitStatus() != 0);
        assertFalse(Files.exists(Path.of("/usr/dmj-x")));
        fx.mesh.exec("dmjail", "umount /mnt/h", T);

        // the jail is what makes the difference: without it the host's root shows
        fx.backend.configure(Map.of("jailGuests", "false"));
        fx.mesh.createGuest(new GuestDefinition("dmjfree", null, null, null, 64, List.of()));
        fx.mesh.startGuest("dmjfree");
        assertTrue(hostRootSeenBy("dmjfree").contains("etc"));
    }

    @Test
    public void aTemplateSwitchReachesAJailedGuest() throws Exception {
        fx.mesh.createGuest(new GuestDefinition("dmjtpl", null, null, null, 64, List.of()));
        fx.mesh.startGuest("dmjtpl");
        out("dmjtpl", "echo own > /root/own");
        fx.mesh.createTemplate("dmjscen");
        fx.mesh.loadTemplate("dmjscen");
        out("dmjtpl", "echo scenario > /root/scenario");
        Path layer = fx.workDir.resolve("templates/dmjscen/dmjtpl");
        assertEquals("scenario\n", Files.readString(layer.resolve("root/scenario")));
        assertFalse(Files.exists(fx.workDir.resolve("guests/dmjtpl/diff/root/scenario")));
        assertEquals("own\n", out("dmjtpl", "cat /root/own"));
        fx.mesh.unloadTemplate();
        assertEquals("gone\n", out("dmjtpl", "test -e /root/scenario && echo kept || echo gone"));
        assertEquals("own\n", out("dmjtpl", "cat /root/own"));
        fx.mesh.loadTemplate("dmjscen");
        assertEquals("scenario\n", out("dmjtpl", "cat /root/scenario"));
        fx.mesh.unloadTemplate();
    }
}
