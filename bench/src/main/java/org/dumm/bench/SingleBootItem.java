package org.dumm.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.bench.BenchReport.Row;
import org.dumm.core.internal.MeshManager;

import static org.dumm.bench.BenchContext.EXEC_TIMEOUT;
import static org.dumm.bench.BenchContext.check;
import static org.dumm.bench.BenchContext.sides;
import static org.dumm.bench.BenchReport.met;
import static org.dumm.bench.BenchReport.sec;
import static org.dumm.bench.BenchReport.x;

/**
 * Item 1: one guest from launch to exec-ready, alternately on each side. Dumm is ready when
 * {@code Mesh.startGuest} returned and an exec of {@code true} answered; bare when the shell on
 * its console's pty echoes. When each side's mconsole socket appeared is reported too.
 */
final class SingleBootItem implements BenchItem {

    @Override
    public String id() {
        return "1";
    }

    @Override
    public void run(BenchContext ctx) {
        BenchOptions opt = ctx.opt();
        BenchReport report = ctx.report();
        MeshManager mesh = ctx.mesh();
        BareUml bare = ctx.bare();
        Path tmp = ctx.tmp();
        Path meshDir = ctx.meshDir();
        Stats dummTotal = new Stats();
        Stats dummStart = new Stats();
        Stats dummSocket = new Stats();
        Stats bareTotal = new Stats();
        Stats bareSocket = new Stats();
        for (int r = 0; r < opt.bootReps; r++) {
            for (boolean dummSide : sides(r)) {
                if (dummSide) {
                    String name = "dmbds";
                    mesh.createGuest(GuestDefinition.named(name));
                    Path socket = meshDir.resolve("guests").resolve(name).resolve("run").resolve(name).resolve("mconsole");
                    FileWatch watch = FileWatch.start(socket);
                    long t0 = System.nanoTime();
                    mesh.startGuest(name);
                    long t1 = System.nanoTime();
                    ExecResult x = mesh.exec(name, "true", EXEC_TIMEOUT);
                    long t2 = System.nanoTime();
                    check(x.succeeded(), "exec true failed in " + name);
                    long sock = watch.stop(t0);
                    dummTotal.addNanos(t2 - t0);
                    dummStart.addNanos(t1 - t0);
                    if (sock >= 0) {
                        dummSocket.addNanos(sock);
                    }
                    mesh.stopGuest(name, Duration.ofSeconds(10));
                    mesh.deleteGuest(name, false);
                    ctx.log(String.format("boot %d dumm: %.0f ms (startGuest %.0f ms, mconsole socket at %.0f ms)", r,
                            (t2 - t0) / 1e6, (t1 - t0) / 1e6, sock / 1e6));
                } else {
                    String name = "dmbbs";
                    Path socket = tmp.resolve("bare/guests").resolve(name).resolve("run").resolve(name).resolve("mconsole");
                    FileWatch watch = FileWatch.start(socket);
                    long t0 = System.nanoTime();
                    BareUml.Guest g = bare.launch(name, List.of());
                    boolean ok = bare.awaitReady(g, t0 + Duration.ofSeconds(60).toNanos());
                    long t1 = System.nanoTime();
                    check(ok, "bare guest " + name + " did not answer; console: " + tail(g.dir.resolve("console.log")));
                    long sock = watch.stop(t0);
                    bareTotal.addNanos(t1 - t0);
                    if (sock >= 0) {
                        bareSocket.addNanos(sock);
                    }
                    bare.teardown(List.of(g));
                    ctx.log(String.format("boot %d bare: %.0f ms (mconsole socket at %.0f ms)", r, (t1 - t0) / 1e6,
                            sock / 1e6));
                }
            }
        }
        double ratio = dummTotal.median() / bareTotal.median();
        Map<String, Object> m = report.section("1_single_boot");
        m.put("ready_signal", "Dumm: Mesh.startGuest returned and an exec of `true` answered; bare: the "
                + "interactive shell on con1's pty answered an echo");
        m.put("dumm_total", dummTotal.toMap());
        m.put("dumm_startGuest", dummStart.toMap());
        m.put("dumm_mconsole_socket", dummSocket.toMap());
        m.put("bare_total", bareTotal.toMap());
        m.put("bare_mconsole_socket", bareSocket.toMap());
        m.put("ratio_median", Stats.round(ratio));
        report.add(new Row("1", "one guest: launch → exec-ready (median of " + opt.bootReps + ")",
                sec(dummTotal.median()), sec(bareTotal.median()), x(ratio), "≤ 1.05× bare", met(ratio <= 1.05)));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            return String.join(" / ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no console log)";
        }
    }
}
