package org.dumm.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.dumm.api.ExecResult;
import org.dumm.api.ExecSession;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Transport;
import org.dumm.bench.BenchReport.Row;
import org.dumm.core.internal.MeshManager;
import org.dumm.tap.internal.TunTapDriver;

import static org.dumm.bench.BenchContext.EXEC_TIMEOUT;
import static org.dumm.bench.BenchContext.check;
import static org.dumm.bench.BenchContext.sides;
import static org.dumm.bench.BenchReport.met;
import static org.dumm.bench.BenchReport.ms;
import static org.dumm.bench.BenchReport.x;

/**
 * Items 3 and 4 on one running guest per side: exec round trips (Dumm's exec of {@code true}
 * against an echo from the bare guest's console shell), then connecting new interfaces, cold
 * and after a warm-up, with where a Dumm connect's time goes (each step alone, and replayed in
 * the series' rhythm), and the disconnect; last the teardown of the guest with its interfaces.
 */
final class ExecAndConnectItem implements BenchItem {

    @Override
    public String id() {
        return "3+4";
    }

    @Override
    public void run(BenchContext ctx) {
        BenchOptions opt = ctx.opt();
        BenchReport report = ctx.report();
        MeshManager mesh = ctx.mesh();
        BareUml bare = ctx.bare();
        mesh.createGuest(GuestDefinition.named("dmbdx"));
        mesh.startGuest("dmbdx");
        BareUml.Guest g = bare.launch("dmbbx", List.of());
        check(bare.awaitReady(g, System.nanoTime() + Duration.ofSeconds(60).toNanos()), "bare guest dmbbx did not answer");

        if (opt.wants("4")) {
            for (int i = 0; i < 20; i++) { // warm-up: JIT, caches, the guests' first forks
                mesh.exec("dmbdx", "true", EXEC_TIMEOUT);
                g.shell.roundTrip(5000);
            }
            Stats d = new Stats();
            Stats b = new Stats();
            for (int i = 0; i < opt.execSamples; i++) {
                for (boolean dummSide : sides(i)) {
                    // one operation on a settled host, as a user types it: neither side's
                    // aftermath (the other guest's work after its answer) lands in the other's sample
                    Host.sleep(opt.settleMs);
                    if (dummSide) {
                        long t0 = System.nanoTime();
                        ExecResult r = mesh.exec("dmbdx", "true", EXEC_TIMEOUT);
                        d.addNanos(System.nanoTime() - t0);
                        check(r.succeeded(), "exec true failed");
                    } else {
                        long n = g.shell.roundTrip(5000);
                        check(n > 0, "bare shell did not answer");
                        b.addNanos(n);
                    }
                }
            }
            // Back to back as well: an idle UML answers its console ~20 ms late (see report)
            Stats d2 = new Stats();
            Stats b2 = new Stats();
            for (int i = 0; i < opt.execSamples / 2; i++) {
                long t0 = System.nanoTime();
                check(mesh.exec("dmbdx", "true", EXEC_TIMEOUT).succeeded(), "exec true failed");
                d2.addNanos(System.nanoTime() - t0);
            }
            for (int i = 0; i < opt.execSamples / 2; i++) {
                long n = g.shell.roundTrip(5000);
                check(n > 0, "bare shell did not answer");
                b2.addNanos(n);
            }
            Stats d3 = new Stats(); // the same burst in one shell session
            try (ExecSession session = mesh.openSession("dmbdx")) {
                for (int i = 0; i < opt.execSamples / 2; i++) {
                    long t0 = System.nanoTime();
                    check(session.exec("true", EXEC_TIMEOUT).succeeded(), "exec true in a session failed");
                    d3.addNanos(System.nanoTime() - t0);
                }
            }
            Map<String, Object> m = report.section("4_exec");
            m.put("dumm_exec_true", d.toMap());
            m.put("bare_interactive_shell_echo", b.toMap());
            m.put("dumm_exec_true_back_to_back", d2.toMap());
            m.put("bare_interactive_shell_echo_back_to_back", b2.toMap());
            m.put("dumm_exec_true_back_to_back_session", d3.toMap());
            ctx.log(String.format("exec back to back: dumm p50 %.2f p99 %.2f ms; bare shell p50 %.2f p99 %.2f ms",
                    d2.median(), d2.percentile(99), b2.median(), b2.percentile(99)));
            report.add(new Row("4", "exec round trip p50 / p99 (" + opt.execSamples + " each, interleaved, " + opt.settleMs + " ms apart)",
                    ms(d.median()) + " / " + ms(d.percentile(99)), ms(b.median()) + " / " + ms(b.percentile(99)),
                    x(d.median() / b.median()), "≤ 3 ms p50", met(d.median() <= 3.0)));
            report.add(new Row("4", "exec round trip back to back p50 / p99 (" + opt.execSamples / 2 + " each)",
                    ms(d2.median()) + " / " + ms(d2.percentile(99)), ms(b2.median()) + " / " + ms(b2.percentile(99)),
                    x(d2.median() / b2.median()), "(reported)", ""));
            report.add(new Row("4", "exec round trip back to back in a session (`Mesh.openSession`) p50 / p99 ("
                    + opt.execSamples / 2 + " each)", ms(d3.median()) + " / " + ms(d3.percentile(99)),
                    ms(b2.median()) + " / " + ms(b2.percentile(99)), x(d3.median() / b2.median()), "≤ 1.0× bare and ≤ 3 ms",
                    met(d3.median() <= b2.median() && d3.median() <= 3.0)));
            ctx.log(String.format("exec: dumm p50 %.2f p99 %.2f ms; bare shell p50 %.2f p99 %.2f ms", d.median(),
                    d.percentile(99), b.median(), b.percentile(99)));
        }

        if (opt.wants("3")) {
            int n = opt.connectSamples;
            // Cold: the first connects after the mesh started, with most of their code not yet
            // compiled by the JIT. Then every interface goes again, the same path runs as many
            // times as a while of use runs it, and the series is measured once more: warm.
            Stats cold = new Stats();
            Stats coldBare = new Stats();
            connectSeries(ctx, g, 0, cold, coldBare);
            Stats disconnect = new Stats();
            for (int i = 1; i <= n; i++) {
                Host.sleep(opt.settleMs);
                long t0 = System.nanoTime();
                mesh.removeInterface("dmbdx", "eth" + i);
                disconnect.addNanos(System.nanoTime() - t0);
            }
            long w0 = System.nanoTime();
            for (int i = 0; i < opt.connectWarmup; i++) {
                mesh.addInterface("dmbdx", "eth1", "dmbbrd", null, Transport.TUNTAP);
                mesh.removeInterface("dmbdx", "eth1");
            }
            double warmupS = (System.nanoTime() - w0) / 1e9;
            Stats warm = new Stats();
            Stats warmBare = new Stats();
            connectSeries(ctx, g, n, warm, warmBare);
            ExecResult seen = mesh.exec("dmbdx", "ls /sys/class/net | grep -c '^eth'", EXEC_TIMEOUT);
            check(seen.stdoutText().trim().equals(Integer.toString(n)),
                    "guest sees " + seen.stdoutText().trim() + " eth interfaces, expected " + n);
            Map<String, Object> m = report.section("3_connect");
            m.put("dumm_addInterface_warm", warm.toMap());
            m.put("bare_ip_ip_uml_mconsole_warm_series", warmBare.toMap());
            m.put("dumm_addInterface_cold", cold.toMap());
            m.put("bare_ip_ip_uml_mconsole_cold_series", coldBare.toMap());
            m.put("dumm_removeInterface", disconnect.toMap());
            m.put("warmup_cycles", opt.connectWarmup);
            m.put("warmup_seconds", Stats.round(warmupS));
            m.put("dumm_does", "mconsole config ethN sent, and while the guest registers the device: TAP made and "
                    + "marked (ioctls + one netlink request), then up and on the bridge (a second request); then link up in the guest by the agent "
                    + "(two ioctls, no process), and while the guest does that the change is appended to the mesh journal "
                    + "(taken back if the link-up fails; guest.json and mesh.json are rewritten and forced by the store's own thread)");
            m.put("bare_does", "spawned: ip tuntap add; ip link set master up; uml_mconsole config ethN=tuntap,TAP "
                    + "(the interface stays down in the guest)");
            m.put("breakdown", connectBreakdown(ctx, g));
            m.put("replay", connectReplay(ctx, g));
            String apart = opt.settleMs + " ms apart";
            report.add(new Row("3", "connect new iface to running guest, warm (after " + opt.connectWarmup
                    + " connect+disconnect cycles) p50 / p99 (" + n + " each, " + apart + ")",
                    ms(warm.median()) + " / " + ms(warm.percentile(99)), ms(warmBare.median()) + " / " + ms(warmBare.percentile(99)),
                    x(warm.median() / warmBare.median()), "≤ 3 ms p50", met(warm.median() <= 3.0)));
            report.add(new Row("3", "connect, cold: the first " + n + " after the mesh started, p50 / p99 (" + apart + ")",
                    ms(cold.median()) + " / " + ms(cold.percentile(99)), ms(coldBare.median()) + " / " + ms(coldBare.percentile(99)),
                    x(cold.median() / coldBare.median()), "(reported)", ""));
            report.add(new Row("3", "disconnect an iface from the running guest p50 / p99 (" + n + ", " + apart + ")",
                    ms(disconnect.median()) + " / " + ms(disconnect.percentile(99)), "", "", "(reported)", ""));
            ctx.log(String.format("connect warm: dumm p50 %.2f p99 %.2f ms; bare p50 %.2f p99 %.2f ms (after %d cycles, %.1f s)",
                    warm.median(), warm.percentile(99), warmBare.median(), warmBare.percentile(99), opt.connectWarmup, warmupS));
            ctx.log(String.format("connect cold: dumm p50 %.2f p99 %.2f ms; bare p50 %.2f p99 %.2f ms; disconnect p50 %.2f ms",
                    cold.median(), cold.percentile(99), coldBare.median(), coldBare.percentile(99), disconnect.median()));
        }
        long t0 = System.nanoTime();
        mesh.stopGuest("dmbdx", Duration.ofSeconds(10));
        mesh.deleteGuest("dmbdx", false);
        long t1 = System.nanoTime();
        long[] bt = bare.teardown(List.of(g));
        report.section("3_connect").put("teardown_one_guest_with_ifaces_ms", Map.of("dumm", Stats.round((t1 - t0) / 1e6),
                "bare", Stats.round((bt[0] + bt[1] + bt[2]) / 1e6)));
    }

    /**
     * One interleaved series: Dumm adds eth1 … ethN to its guest, the baseline its next N
     * devices (numbered from {@code bareOffset} + 1) to the bare guest.
     */
    private void connectSeries(BenchContext ctx, BareUml.Guest g, int bareOffset, Stats dumm, Stats bareSide) {
        BenchOptions opt = ctx.opt();
        MeshManager mesh = ctx.mesh();
        BareUml bare = ctx.bare();
        for (int i = 1; i <= opt.connectSamples; i++) {
            for (boolean dummSide : sides(i)) {
                Host.sleep(opt.settleMs);
                if (dummSide) {
                    long t0 = System.nanoTime();
                    mesh.addInterface("dmbdx", "eth" + i, "dmbbrd", null, Transport.TUNTAP);
                    dumm.addNanos(System.nanoTime() - t0);
                } else {
                    int k = bareOffset + i;
                    bareSide.addNanos(bare.connect(g, k, "dmbbx-e" + k));
                }
            }
        }
    }

    /** Where a Dumm connect's time goes: each host step alone, on scratch devices. */
    private Map<String, Object> connectBreakdown(BenchContext ctx, BareUml.Guest bareGuest) {
        MeshManager mesh = ctx.mesh();
        TunTapDriver taps = ctx.taps();
        Path meshDir = ctx.meshDir();
        Stats create = new Stats();
        Stats mconsole = new Stats();
        Stats plug = new Stats();
        Stats ifup = new Stats();
        Stats ipNoop = new Stats();
        Stats sysfsUp = new Stats();
        List<String> made = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                String tap = "dmbscr" + i;
                long t0 = System.nanoTime();
                taps.createUp(tap, "bench:scratch", null, "dmbbrd");
                long t1 = System.nanoTime();
                made.add(tap);
                create.addNanos(t1 - t0);
            }
            // an mconsole request alone, in-process (version: no side effect)
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                String r = MconsoleProbe.request(bareGuest.socket(), "version", 2000);
                mconsole.addNanos(System.nanoTime() - t0);
                check(r != null, "mconsole does not answer");
            }
            // The guest-side steps of a Dumm connect, one by one, on scratch interfaces of the
            // Dumm guest (plugged behind the mesh's back and removed again right after).
            String sock = meshDir.resolve("guests/dmbdx/run/dmbdx/mconsole").toString();
            for (int i = 0; i < made.size(); i++) {
                String dev = "eth" + (900 + i);
                Host.sleep(150); // the agent refills its spare shells only when idle: give it time
                long t0 = System.nanoTime();
                String r = MconsoleProbe.request(sock, "config " + dev + "=tuntap," + made.get(i), 5000);
                long t1 = System.nanoTime();
                check(r != null && !r.startsWith("ERR"), "mconsole config " + dev + ": " + r);
                // odd: with shell built-ins only (no fork in the guest): IFF_UP into sysfs flags
                String upCmd = i % 2 == 0 ? "ip link set dev " + dev + " up"
                        : "read f < /sys/class/net/" + dev + "/flags && echo $((f | 1)) > /sys/class/net/" + dev + "/flags";
                ExecResult up = mesh.exec("dmbdx", upCmd, EXEC_TIMEOUT);
                long t2a = System.nanoTime();
                Host.sleep(150);
                long t2 = System.nanoTime();
                ExecResult show = mesh.exec("dmbdx", "ip link show dev lo >/dev/null", EXEC_TIMEOUT);
                long t3 = System.nanoTime();
                check(up.succeeded() && show.succeeded(), "ip in guest: " + up.stderrText() + show.stderrText());
                ExecResult isUp = mesh.exec("dmbdx", "ip -o link show dev " + dev, EXEC_TIMEOUT);
                check(isUp.stdoutText().contains(",UP"), dev + " not up after '" + upCmd + "': " + isUp.stdoutText());
                plug.addNanos(t1 - t0);
                (i % 2 == 0 ? ifup : sysfsUp).addNanos(t2a - t1);
                ipNoop.addNanos(t3 - t2);
                mesh.exec("dmbdx", "ip link set dev " + dev + " down", EXEC_TIMEOUT);
                String rm = MconsoleProbe.request(sock, "remove " + dev, 5000);
                check(rm != null && !rm.startsWith("ERR"), "mconsole remove " + dev + ": " + rm);
            }
        } finally {
            if (!made.isEmpty()) {
                taps.deleteAll(made);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tap_create_up_bridge_port", create.toMap());
        m.put("mconsole_request_in_process", mconsole.toMap());
        m.put("mconsole_config_ethN_tuntap", plug.toMap());
        m.put("exec_ip_link_set_up", ifup.toMap());
        m.put("exec_ip_link_show_lo", ipNoop.toMap());
        m.put("exec_sysfs_flags_up_builtins", sysfsUp.toMap());
        ctx.log(String.format("connect breakdown p50: TAP create+up+bridge port %.2f, "
                + "mconsole version %.2f, mconsole config ethN %.2f, exec 'ip link set up' %.2f, exec 'ip link show lo' %.2f, exec sysfs flags up %.2f ms",
                create.median(), mconsole.median(), plug.median(), ifup.median(),
                ipNoop.median(), sysfsUp.median()));
        return m;
    }

    /**
     * A Dumm connect's host and guest steps replayed one after another with the same rhythm as
     * the measured series (each after a baseline connect), each step timed: where the time goes.
     */
    private Map<String, Object> connectReplay(BenchContext ctx, BareUml.Guest bareGuest) {
        BenchOptions opt = ctx.opt();
        MeshManager mesh = ctx.mesh();
        BareUml bare = ctx.bare();
        TunTapDriver taps = ctx.taps();
        Path meshDir = ctx.meshDir();
        String sock = meshDir.resolve("guests/dmbdx/run/dmbdx/mconsole").toString();
        Map<String, Stats> steps = new LinkedHashMap<>();
        for (String k : List.of("tap_create_up_bridge_port", "mconsole_config", "exec_link_up_sysfs", "sum")) {
            steps.put(k, new Stats());
        }
        int base = 2 * opt.connectSamples + 1; // after both series' baseline devices
        for (int i = 0; i < Math.min(20, opt.connectSamples); i++) {
            bare.connect(bareGuest, base + i, "dmbbx-e" + (base + i));
            String tap = "dmbscq" + i;
            String dev = "eth" + (800 + i);
            long t0 = System.nanoTime();
            taps.createUp(tap, "bench:scratch", null, "dmbbrd");
            long t2 = System.nanoTime();
            String r = MconsoleProbe.request(sock, "config " + dev + "=tuntap," + tap, 5000);
            long t3 = System.nanoTime();
            // the mesh brings the link up with an agent op (two ioctls); an exec of shell
            // built-ins is the closest the bench can reach from outside the mesh
            ExecResult up = mesh.exec("dmbdx", "set -e; read f < /sys/class/net/" + dev + "/flags; echo $((f | 1)) > /sys/class/net/"
                    + dev + "/flags", EXEC_TIMEOUT);
            long t4 = System.nanoTime();
            check(r != null && !r.startsWith("ERR") && up.succeeded(), "replay step failed: " + r + " " + up.stderrText());
            steps.get("tap_create_up_bridge_port").addNanos(t2 - t0);
            steps.get("mconsole_config").addNanos(t3 - t2);
            steps.get("exec_link_up_sysfs").addNanos(t4 - t3);
            steps.get("sum").addNanos(t4 - t0);
            mesh.exec("dmbdx", "ip link set dev " + dev + " down", EXEC_TIMEOUT);
            MconsoleProbe.request(sock, "remove " + dev, 5000);
            taps.deleteAll(List.of(tap));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        StringBuilder line = new StringBuilder("connect replay p50:");
        steps.forEach((k, v) -> {
            m.put(k, v.toMap());
            line.append(String.format(" %s %.2f", k, v.median()));
        });
        ctx.log(line + " ms");
        return m;
    }
}
