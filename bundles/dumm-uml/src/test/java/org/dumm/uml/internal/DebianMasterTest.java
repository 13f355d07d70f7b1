package org.dumm.uml.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.dumm.api.ExecResult;
import org.dumm.api.Transport;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.GuestSpec;
import org.dumm.api.spi.InterfaceSpec;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * OPT-IN, slow: boots a Debian master. Not part of the default run because building the master
 * takes about a minute and needs the Debian mirror. Build one by hand and point at it:
 * <pre>
 * debootstrap --variant=minbase --include=systemd-sysv,iproute2 bookworm /tmp/dmv-debian-sd
 * mvn -o install -pl bundles/dumm-uml -Dtest=DebianMasterTest -Ddumm.test.debian=/tmp/dmv-debian-sd
 * </pre>
 * A plain minbase master (no /sbin/init) works too: the wrapper then stays PID 1 itself.
 */
public class DebianMasterTest {

    private static final String GUEST = "dmvdebian";
    private static final String TAP = "dmvd0";

    private Path scratch;
    private Fixtures.Union union;
    private UmlBackend backend;
    private GuestHandle guest;

    @Before
    public void boot() throws Exception {
        String master = System.getProperty("dumm.test.debian", "");
        assumeTrue("set -Ddumm.test.debian=<debootstrapped master> to run", !master.isEmpty());
        scratch = Fixtures.scratch();
        backend = new UmlBackend();
        Path layer = backend.bootLayer(scratch.resolve("work"));
        union = new Fixtures.Union(scratch.resolve("g"), layer, Path.of(master));
        Fixtures.createTap(TAP);
        GuestSpec spec = Fixtures.spec(GUEST, union.root, scratch.resolve("g-run"));
        long t0 = System.nanoTime();
        guest = backend.start(spec);
        System.out.printf("debian master %s: exec-ready after %d ms%n", master, (System.nanoTime() - t0) / 1_000_000);
    }

    @After
    public void tearDown() throws Exception {
        if (backend == null) {
            return;
        }
        try {
            if (guest != null) {
                guest.stop(Duration.ofSeconds(10));
            }
        } finally {
            backend.deactivate();
            Fixtures.killLeftovers(GUEST);
            union.close();
            Fixtures.deleteTap(TAP);
            BootLayer.deleteTree(scratch);
        }
        assertEquals(List.of(), Fixtures.processesOf(GUEST));
    }

    @Test
    public void debianGuestExecsAndHotPlugs() throws Exception {
        ExecResult v = guest.exec("cat /etc/debian_version; cat /proc/1/comm", Duration.ofSeconds(30));
        assertEquals(0, v.exitStatus());
        System.out.println("debian guest: " + v.stdoutText().replace('\n', ' '));
        assertTrue(v.stdoutText().startsWith("12."));
        boolean systemd = Files.exists(union.root.resolve("lib/systemd/systemd"));
        if (systemd) {
            // PID 1 is the master's own init; wait until it settles and look at getty and the agent
            ExecResult s = guest.exec("for i in $(seq 60); do s=$(systemctl is-system-running 2>/dev/null); "
                    + "case $s in running|degraded) break;; esac; sleep 0.5; done; echo $s; "
                    + "systemctl is-active getty@tty1.service; systemctl is-enabled getty@tty7.service",
                    Duration.ofSeconds(60));
            System.out.println("systemd: " + s.stdoutText().replace('\n', ' ') + s.stderrText());
            assertTrue(s.stdoutText().contains("active"));
            assertTrue(s.stdoutText().contains("masked"));
        }
        guest.plugInterface(new InterfaceSpec("eth0", TAP, "02:d3:00:00:00:d0", Transport.VECTOR));
        ExecResult ip = guest.exec("cat /sys/class/net/eth0/address", Duration.ofSeconds(10));
        assertEquals("02:d3:00:00:00:d0\n", ip.stdoutText());
        guest.unplugInterface("eth0");
        assertEquals(1, guest.exec("test -e /sys/class/net/eth0", Duration.ofSeconds(10)).exitStatus());
    }
}
