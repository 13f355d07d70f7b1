package org.dumm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.dumm.api.GuestDefinition;
import org.dumm.bench.BenchReport.Row;
import org.dumm.core.internal.MeshManager;
import org.dumm.test.RunOptions;
import org.dumm.test.RunReport;
import org.dumm.test.internal.ScenarioRunnerImpl;

import static org.dumm.bench.BenchContext.EXEC_TIMEOUT;
import static org.dumm.bench.BenchContext.check;
import static org.dumm.bench.BenchReport.met;
import static org.dumm.bench.BenchReport.ms;
import static org.dumm.bench.BenchReport.x;

/**
 * Item 10: the scenario runner's own cost per evaltest line against one direct exec of the same
 * command on the same guest. Two scenarios differ only in the number of evaltest lines (1 and
 * 1 + N); the difference of their run times over N is what one more line costs, with the
 * template, pretest and posttest that both share cancelled out. Runs of the two alternate.
 * The lines of a scenario run back to back, so they pay what any exec burst pays (a shell made
 * per command while no spare is left); that is the baseline, the settled exec is reported beside it.
 */
final class ScenarioRunnerItem implements BenchItem {

    private static final String HOST = "sx";
    private static final String GUEST = "dmb" + HOST; // the run's prefix + the scenario's host
    private static final String COMMAND = "echo dmb-line";

    @Override
    public String id() {
        return "10";
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        BenchOptions opt = ctx.opt();
        MeshManager mesh = ctx.mesh();
        int extra = opt.quick ? 20 : 40;
        int runs = opt.quick ? 3 : 5;
        mesh.createGuest(GuestDefinition.named(GUEST));
        mesh.startGuest(GUEST);
        Path dir = ctx.tmp().resolve("scenarios");
        Path one = scenario(dir.resolve("one"), 1);
        Path many = scenario(dir.resolve("many"), 1 + extra);
        ScenarioRunnerImpl runner = new ScenarioRunnerImpl(mesh);
        RunOptions quiet = new RunOptions("dmb", false, true, false); // its template: dmbscenario
        for (int i = 0; i < 2; i++) { // warm-up: the runner's code, the guest's first forks
            run(runner, many, quiet);
            for (int k = 0; k < extra; k++) {
                mesh.exec(GUEST, COMMAND, EXEC_TIMEOUT);
            }
        }
        Stats perLine = new Stats();
        Stats direct = new Stats();
        Stats burst = new Stats();
        for (int i = 0; i < runs; i++) {
            double a = run(runner, one, quiet);
            double b = run(runner, many, quiet);
            perLine.add((b - a) / extra);
            for (int k = 0; k < extra; k++) {
                Host.sleep(opt.settleMs);
                long t0 = System.nanoTime();
                check(mesh.exec(GUEST, COMMAND, EXEC_TIMEOUT).succeeded(), COMMAND + " failed");
                direct.addNanos(System.nanoTime() - t0);
            }
            for (int k = 0; k < extra; k++) { // back to back, as the runner runs its lines
                long t0 = System.nanoTime();
                check(mesh.exec(GUEST, COMMAND, EXEC_TIMEOUT).succeeded(), COMMAND + " failed");
                burst.addNanos(System.nanoTime() - t0);
            }
        }
        Map<String, Object> m = ctx.report().section("10_scenario_runner");
        m.put("extra_lines", extra);
        m.put("runner_ms_per_evaltest_line", perLine.toMap());
        m.put("direct_exec", direct.toMap());
        m.put("direct_exec_back_to_back", burst.toMap());
        // The runner issues its lines back to back, so the exec it is to be measured against is a
        // back-to-back one; the settled exec (a spare shell ready, see dumm-agent's spares) is shown too.
        double ratio = perLine.median() / burst.median();
        ctx.log(String.format("scenario runner: %.2f ms per evaltest line (p50 of %d runs); direct exec p50 %.2f ms,"
                + " back to back %.2f ms", perLine.median(), runs, direct.median(), burst.median()));
        ctx.report().add(new Row("10", "scenario runner: cost per evaltest line vs a direct exec back to back (" + extra
                + " lines, " + runs + " runs)", ms(perLine.median()), ms(burst.median()) + " (direct exec)", x(ratio),
                "≤ 1.2×", met(ratio <= 1.2)));
        ctx.report().add(new Row("10", "the same vs a direct exec " + opt.settleMs + " ms after the last", ms(perLine.median()),
                ms(direct.median()) + " (direct exec)", x(perLine.median() / direct.median()), "(reported)", ""));
        mesh.deleteGuest(GUEST, true);
    }

    /** Milliseconds of one scenario run, which must pass. */
    private static double run(ScenarioRunnerImpl runner, Path scenario, RunOptions options) {
        long t0 = System.nanoTime();
        RunReport r = runner.run(List.of(scenario), options, line -> { });
        double millis = (System.nanoTime() - t0) / 1e6;
        check(r.failed() == 0, "bench scenario " + scenario.getFileName() + " failed: " + r.results());
        return millis;
    }

    private static Path scenario(Path dir, int lines) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("test.conf"), "VIRTHOSTS=\"" + HOST + "\"\n");
        StringBuilder eval = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            eval.append(HOST).append("::").append(COMMAND).append("::dmb-line::YES\n");
        }
        Files.writeString(dir.resolve("evaltest.dat"), eval.toString());
        return dir;
    }
}
