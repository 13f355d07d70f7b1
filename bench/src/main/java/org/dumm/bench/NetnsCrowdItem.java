package org.dumm.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.dumm.api.ExecSession;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Transport;
import org.dumm.bench.BenchReport.Row;
import org.dumm.core.internal.MeshManager;
import org.dumm.netns.internal.NetnsBackend;

/**
 * Item 8: a crowd of netns guests on one bridge (100; 20 with --quick): defined, started in
 * parallel until every one answers exec, their host memory (PSS of every process in their
 * cgroups), exec round trips (back to back, 10 ms apart, and in one shell session per guest),
 * connects of a new interface to a running one, and the teardown; beside it in the same run,
 * Mininet (Debian's package, installed when missing, with a Linux bridge as its switch) building
 * and starting the same crowd, running commands in its hosts' shells (cmd), and stopping it.
 */
final class NetnsCrowdItem implements BenchItem {

    @Override
    public String id() {
        return "8";
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        BenchOptions opt = ctx.opt();
        int n = opt.quick ? 20 : 100;
        MeshManager mesh = ctx.mesh();
        Map<String, Object> m = ctx.report().section("8_netns_crowd");
        mesh.createBridge("dmbnn");
        List<String> names = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String g = "dmbn" + i;
            names.add(g);
            mesh.createGuest(new GuestDefinition(g, NetnsBackend.NAME, null, null, 32, List.of()));
            mesh.addInterface(g, "eth0", "dmbnn", null, Transport.TUNTAP);
        }
        long t1 = System.nanoTime();
        Map<String, String> failures = mesh.startGuests(names, line -> { });
        long t2 = System.nanoTime();
        BenchContext.check(failures.isEmpty(), "netns guests failed to start: " + failures);

        long pssKb = 0;
        int procs = 0;
        for (String g : names) {
            Path procsFile = ctx.netns().cgroupDirFor(ctx.meshDir(), g).resolve("cgroup.procs");
            for (String line : Files.readAllLines(procsFile)) {
                if (!line.isBlank()) {
                    pssKb += Host.memoryOf(Long.parseLong(line.trim())).getOrDefault("Pss", 0L);
                    procs++;
                }
            }
        }

        long[] exec = new long[opt.quick ? 100 : 500];
        for (int i = 0; i < exec.length; i++) {
            long s = System.nanoTime();
            mesh.exec(names.get(i % n), "true", Duration.ofSeconds(10));
            exec[i] = System.nanoTime() - s;
        }
        // the same execs 10 ms apart: a round trip that does not queue behind the spare shells
        // the execs before it used up and the agents are making again
        long[] spaced = new long[opt.quick ? 50 : 200];
        for (int i = 0; i < spaced.length; i++) {
            Thread.sleep(10);
            long s = System.nanoTime();
            mesh.exec(names.get(i % n), "true", Duration.ofSeconds(10));
            spaced[i] = System.nanoTime() - s;
        }
        // one shell session per guest, as the scenario runner uses: Mininet's cmd() is the same kind
        long[] session = new long[exec.length];
        List<ExecSession> sessions = new ArrayList<>();
        try {
            for (String g : names) {
                sessions.add(mesh.openSession(g));
            }
            for (int i = 0; i < session.length; i++) {
                long s = System.nanoTime();
                sessions.get(i % n).exec("true", Duration.ofSeconds(10));
                session[i] = System.nanoTime() - s;
            }
        } finally {
            sessions.forEach(ExecSession::close);
        }
        int connects = Math.min(opt.quick ? 20 : 50, 99);
        long[] connect = new long[connects];
        for (int i = 0; i < connects; i++) {
            long s = System.nanoTime();
            mesh.addInterface(names.get(0), "eth" + (i + 1), "dmbnn", null, Transport.TUNTAP);
            connect[i] = System.nanoTime() - s;
        }
        for (int i = 0; i < connects; i++) {
            mesh.removeInterface(names.get(0), "eth" + (i + 1));
        }
        long t3 = System.nanoTime();
        Map<String, String> stopFailures = mesh.stopGuests(names, Duration.ofSeconds(10), line -> { });
        for (String g : names) {
            mesh.deleteGuest(g, true);
        }
        long t4 = System.nanoTime();
        BenchContext.check(stopFailures.isEmpty(), "netns guests failed to stop: " + stopFailures);
        mesh.deleteBridge("dmbnn");

        Arrays.sort(exec);
        Arrays.sort(connect);
        Arrays.sort(spaced);
        Arrays.sort(session);
        double execP50 = exec[exec.length / 2] / 1e6;
        double spacedP50 = spaced[spaced.length / 2] / 1e6;
        double sessionP50 = session[session.length / 2] / 1e6;
        double connectP50 = connect[connect.length / 2] / 1e6;
        double perGuestMb = pssKb / 1024.0 / n;
        double dummUp = (t2 - t0) / 1e9;
        double dummDown = (t4 - t3) / 1e9;
        double[] mininet = mininet(n, exec.length);
        ctx.report().add(new Row("8", n + " netns guests on one bridge: defined, then started → all exec-ready",
                String.format("%.2f s + %.2f s", (t1 - t0) / 1e9, (t2 - t1) / 1e9), "", "", "", ""));
        if (mininet != null) {
            ctx.report().add(new Row("8", n + " hosts up and answering: Dumm netns vs Mininet (Linux bridge)",
                    String.format("%.2f s", dummUp), String.format("%.2f s", mininet[0]),
                    String.format("%.2f×", dummUp / mininet[0]), "", ""));
            ctx.report().add(new Row("8", n + " hosts torn down: Dumm netns vs Mininet",
                    String.format("%.2f s", dummDown), String.format("%.2f s", mininet[1]),
                    String.format("%.2f×", dummDown / mininet[1]), "", ""));
            m.put("mininet_up_s", Stats.round(mininet[0]));
            m.put("mininet_down_s", Stats.round(mininet[1]));
        }
        ctx.report().add(new Row("8", "host memory per idle netns guest (PSS of its cgroup's " + procs / n + " processes)",
                String.format("%.2f MB", perGuestMb), "", "", "", ""));
        ctx.report().add(new Row("8", "netns exec round trip p50 (" + exec.length + ")", String.format("%.2f ms", execP50),
                "", "", "≤ 1 ms", execP50 <= 1 ? "yes" : "no"));
        ctx.report().add(new Row("8", "netns exec round trip p50, 10 ms apart (" + spaced.length + ")",
                String.format("%.2f ms", spacedP50), "", "", "≤ 1 ms", spacedP50 <= 1 ? "yes" : "no"));
        if (mininet != null) {
            ctx.report().add(new Row("8", "exec in a shell session, back to back, p50 (" + session.length
                    + "): Dumm netns vs Mininet's cmd()", String.format("%.2f ms", sessionP50),
                    String.format("%.2f ms", mininet[2]), String.format("%.2f×", sessionP50 / mininet[2]), "", ""));
            ctx.report().add(new Row("8", "single exec back to back vs Mininet's cmd() (a shell kept per host)",
                    String.format("%.2f ms", execP50), String.format("%.2f ms", mininet[2]),
                    String.format("%.2f×", execP50 / mininet[2]), "", ""));
            m.put("mininet_cmd_p50_ms", Stats.round(mininet[2]));
        } else {
            ctx.report().add(new Row("8", "exec in a shell session, back to back, p50 (" + session.length + ")",
                    String.format("%.2f ms", sessionP50), "", "", "", ""));
        }
        ctx.report().add(new Row("8", "connect new iface to a running netns guest p50 (" + connects + ")",
                String.format("%.2f ms", connectP50), "", "", "≤ 2 ms", connectP50 <= 2 ? "yes" : "no"));
        ctx.report().add(new Row("8", "stop + delete " + n + " netns guests", String.format("%.2f s", (t4 - t3) / 1e9),
                "", "", "", ""));
        m.put("guests", n);
        m.put("define_s", Stats.round((t1 - t0) / 1e9));
        m.put("all_ready_s", Stats.round((t2 - t1) / 1e9));
        m.put("host_mb_per_guest_pss", Stats.round(perGuestMb));
        m.put("exec_p50_ms", Stats.round(execP50));
        m.put("exec_spaced_p50_ms", Stats.round(spacedP50));
        m.put("exec_session_p50_ms", Stats.round(sessionP50));
        m.put("connect_p50_ms", Stats.round(connectP50));
        m.put("teardown_s", Stats.round((t4 - t3) / 1e9));
    }

    /**
     * Mininet's build + start and stop of {@code n} hosts, in seconds, and the p50 of {@code execs}
     * {@code cmd('true')} round robin over them, in ms; or null (reported) when Mininet cannot be had. Debian's python3 is used: Mininet lives in its dist-packages.
     */
    private static double[] mininet(int n, int execs) throws java.io.IOException {
        Host.Result has = Host.run(Duration.ofSeconds(30), "/usr/bin/python3", "-c", "import mininet.nodelib");
        if (has.exit() != 0 || !Files.isExecutable(Path.of("/usr/sbin/brctl"))) {
            Host.Result install = Host.run(Duration.ofMinutes(10), "apt-get", "install", "-y", "--no-install-recommends",
                    "mininet", "bridge-utils");
            if (install.exit() != 0) {
                System.err.println("bench 8: Mininet not available, no baseline: " + install.out());
                return null;
            }
        }
        Path script = Files.createTempFile("dmmn-crowd", ".py");
        try (var in = NetnsCrowdItem.class.getResourceAsStream("mininet_crowd.py")) {
            Files.write(script, in.readAllBytes());
            Host.Result r = Host.run(Duration.ofMinutes(10), "/usr/bin/python3", script.toString(), Integer.toString(n),
                    Integer.toString(execs));
            java.util.regex.Matcher mm = java.util.regex.Pattern.compile("build_start_s=([0-9.]+) stop_s=([0-9.]+) hosts=(\\d+) cmd_p50_ms=([0-9.]+)")
                    .matcher(r.out());
            BenchContext.check(r.exit() == 0 && mm.find() && Integer.parseInt(mm.group(3)) == n,
                    "Mininet's crowd failed: " + r.out());
            return new double[] {Double.parseDouble(mm.group(1)), Double.parseDouble(mm.group(2)),
                Double.parseDouble(mm.group(4))};
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
