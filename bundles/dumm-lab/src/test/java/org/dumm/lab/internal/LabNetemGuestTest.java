package org.dumm.lab.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dumm.api.ExecResult;
import org.dumm.api.Progress;
import org.dumm.lab.LabOptions;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * A Kathará-style impaired link made by the lab itself: the router's {@code .startup} puts a
 * netem qdisc (20 ms delay, 10 % loss) on its interface towards pc2, and pings across it show
 * both, measured against pings to the router in the same run. The busybox master's {@code tc}
 * knows no netem, so the host's iproute2 {@code tc} and the libraries it loads go into the
 * router's {@code r/} directory, which the lab copies into the device (as a Kathará lab ships
 * files), leaving the master untouched.
 */
public class LabNetemGuestTest {

    private static final Duration PINGS = Duration.ofSeconds(90);
    private static final Pattern RTT = Pattern.compile("min/avg/max = ([0-9.]+)/([0-9.]+)/([0-9.]+)");
    private static final Pattern COUNTS = Pattern.compile("([0-9]+) packets transmitted, ([0-9]+) packets received");

    /**
     * By its path: Debian's static busybox shell runs its own applets before looking at PATH
     * (a standalone shell), so a plain {@code tc} would be busybox's whatever PATH says.
     */
    private static final String TC = "/usr/sbin/tc";

    private LabMesh fx;

    @Before
    public void setUp() throws Exception {
        fx = new LabMesh();
    }

    @After
    public void tearDown() {
        fx.close();
    }

    @Test
    public void a_netem_qdisc_from_the_routers_startup_delays_and_drops_across_it() throws Exception {
        Path dir = LabMesh.lab(fx.workDir.resolve("sources/dmlnem"), Map.of(
                "lab.conf", "pc1[0]=A\nr[0]=A\nr[1]=B\npc2[0]=B\n",
                "pc1.startup", "ip addr add 10.237.1.2/24 dev eth0\nip route add default via 10.237.1.1\n",
                "pc2.startup", "ip addr add 10.237.2.2/24 dev eth0\nip route add default via 10.237.2.1\n",
                // towards pc2 only: a ping's request is delayed and may be lost, its reply is not
                "r.startup", "ip addr add 10.237.1.1/24 dev eth0\nip addr add 10.237.2.1/24 dev eth1\n"
                        + "modprobe sch_netem\n" + TC + " qdisc add dev eth1 root netem delay 20ms loss 10%\n"));
        copyWithLibraries(Path.of("/usr/sbin/tc"), dir.resolve("r"), "usr/sbin/tc");
        fx.labs.apply(dir, new LabOptions("dmlnem", Map.of()), Progress.NONE);

        String qdisc = out("dmlnem-r", TC + " qdisc show dev eth1");
        assertTrue("the router's startup set netem: " + qdisc + " (startup log: "
                + fx.exec("dmlnem-r", "cat /var/log/startup.log").stdoutText() + ")", qdisc.contains("netem")
                && qdisc.contains("delay 20") && qdisc.contains("loss 10%"));
        assertTrue("pc1 reaches pc2 across the router", ping("dmlnem-pc1", "10.237.2.2", 10).received > 0);

        // the same number of pings, alternating, to the router (no netem on the way) and across it
        List<Ping> direct = new ArrayList<>();
        List<Ping> across = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            direct.add(ping("dmlnem-pc1", "10.237.1.1", 100));
            across.add(ping("dmlnem-pc1", "10.237.2.2", 100));
        }
        int sent = across.stream().mapToInt(p -> p.sent).sum();
        int lost = sent - across.stream().mapToInt(p -> p.received).sum();
        int directLost = direct.stream().mapToInt(p -> p.sent - p.received).sum();
        double directAvg = direct.stream().mapToDouble(p -> p.avgMs).average().orElseThrow();
        double acrossAvg = across.stream().mapToDouble(p -> p.avgMs).average().orElseThrow();
        double acrossMin = across.stream().mapToDouble(p -> p.minMs).min().orElseThrow();
        System.out.printf("netem: to the router avg %.2f ms (%d lost); across it avg %.2f ms, min %.2f ms, %d of %d lost%n",
                directAvg, directLost, acrossAvg, acrossMin, lost, sent);

        assertEquals(300, sent);
        assertTrue("no reply across the 20 ms netem came back faster: min " + acrossMin + " ms", acrossMin >= 19.5);
        double added = acrossAvg - directAvg;
        assertTrue("netem adds about 20 ms (measured " + added + " ms)", added >= 17 && added <= 35);
        // 10 % of 300 is 30, with a standard deviation of ~5: a wide band, 0 or all lost fails it
        assertTrue("10 % loss: " + lost + " of " + sent + " lost", lost >= 10 && lost <= 60);
        assertTrue("no netem on the way to the router: " + directLost + " lost", directLost <= 3);
    }

    /** What one busybox ping run reported. */
    private record Ping(int sent, int received, double minMs, double avgMs) {
    }

    private Ping ping(String from, String to, int count) {
        ExecResult r = fx.mesh.exec(from, "ping -c " + count + " -i 0.05 -W 2 " + to, PINGS);
        String s = r.stdoutText();
        Matcher c = COUNTS.matcher(s);
        assertTrue("no counts in: " + s + r.stderrText(), c.find());
        Matcher t = RTT.matcher(s);
        boolean any = t.find();
        return new Ping(Integer.parseInt(c.group(1)), Integer.parseInt(c.group(2)),
                any ? Double.parseDouble(t.group(1)) : Double.NaN, any ? Double.parseDouble(t.group(2)) : Double.NaN);
    }

    private String out(String guest, String command) {
        ExecResult r = fx.exec(guest, command);
        assertEquals("'" + command + "' in " + guest + ": " + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }

    /**
     * Copies a host binary to {@code root/as} and the shared libraries ldd names to their own
     * paths under {@code root} (the busybox master has no C library of its own).
     */
    private static void copyWithLibraries(Path binary, Path root, String as) throws Exception {
        Process ldd = new ProcessBuilder("ldd", binary.toString()).redirectErrorStream(true).start();
        String out = new String(ldd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(out, 0, ldd.waitFor());
        Matcher m = Pattern.compile("(/\\S+)\\s+\\(0x").matcher(out);
        List<String[]> files = new ArrayList<>();
        files.add(new String[] {binary.toString(), as});
        while (m.find()) {
            files.add(new String[] {m.group(1), m.group(1).substring(1)});
        }
        for (String[] f : files) {
            Path target = root.resolve(f[1]);
            Files.createDirectories(target.getParent());
            Files.copy(Path.of(f[0]), target, StandardCopyOption.REPLACE_EXISTING); // follows links: the contents
        }
    }
}
