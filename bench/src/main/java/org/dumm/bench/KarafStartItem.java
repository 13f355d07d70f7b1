package org.dumm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.dumm.bench.BenchReport.Row;

import static org.dumm.bench.BenchReport.met;
import static org.dumm.bench.BenchReport.oneLine;

/**
 * Item 7: Karaf's start until Dumm is ready (fresh instances, a restart, a restart re-adopting
 * running guests) and the JVM's RSS, measured by {@link KarafBench} on a private instance of
 * the assembly; the instance is removed at clean-up.
 */
final class KarafStartItem implements BenchItem {

    @Override
    public String id() {
        return "7";
    }

    @Override
    public Optional<Row> skipped(BenchOptions opt) {
        return opt.karaf ? Optional.empty()
                : Optional.of(new Row("7", "Karaf start → ready, JVM RSS", "skipped (--no-karaf)", "", "", "≤ 5 s, ≤ 250 MB", "not measured"));
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        BenchOptions opt = ctx.opt();
        BenchReport report = ctx.report();
        Path tmp = ctx.tmp();
        Path tarball = opt.assembly != null ? opt.assembly : findAssembly();
        if (tarball == null || !Files.isRegularFile(tarball)) {
            report.add(new Row("7", "Karaf start → ready, JVM RSS", "not measured: no karaf-assembly tar.gz", "", "",
                    "≤ 5 s, ≤ 250 MB", "not measured"));
            return;
        }
        KarafBench karaf = new KarafBench(tarball, tmp.resolve("karaf"), ctx::log);
        ctx.onCleanup(() -> karaf.cleanup(report.problems()));
        Map<String, Object> r = karaf.run(opt.guests, opt.quick ? 5 : 10, opt.karafFirstStarts);
        report.section("7_karaf").putAll(r);
        if (!Integer.valueOf(opt.guests).equals(r.get("guests_running"))) {
            report.problem("Karaf: only " + r.get("guests_running") + " of " + opt.guests + " guests started: "
                    + oneLine(String.valueOf(r.get("guest_start_failures"))));
        }
        double first = (Double) r.get("first_start_ready_s");
        double unprimed = (Double) r.get("first_start_unprimed_ready_s");
        double empty = (Double) r.get("restart_no_guests_ready_s");
        double restart = (Double) r.get("restart_ready_s");
        double rss = (Double) r.get("rss_mb_idle_with_guests");
        double rss2 = (Double) r.get("rss_mb_idle_after_restart");
        int n = opt.karafFirstStarts;
        String firsts = n > 1 ? " (" + ((List<?>) r.get("first_starts_ready_s")).stream().map(String::valueOf)
                .collect(Collectors.joining(", ")) + ")" : "";
        report.add(new Row("7", "Karaf start → Dumm ready: first start" + (n > 1 ? " (median of " + n + " fresh instances)" : "")
                        + " / restart / restart re-adopting " + opt.guests + " running guests",
                String.format("%.2f s%s / %.2f s / %.2f s (JVM CPU %s / %s / %s s)", first, firsts, empty, restart,
                        cpuAtReady(r.get("first_start_steps")), cpuAtReady(r.get("restart_no_guests_steps")),
                        cpuAtReady(r.get("restart_steps"))), "", "", "≤ 5 s",
                met(empty <= 5.0) + " restart" + (first <= 5.0 ? ", met first start" : ", missed first start")
                        + (restart <= 5.0 ? ", met with guests" : ", missed with guests")));
        report.add(new Row("7", "Karaf first start without the framework state the distribution ships (as a stock "
                        + "Karaf, or after etc/ changed the boot features)",
                String.format("%.2f s (JVM CPU %s s)", unprimed, cpuAtReady(r.get("first_start_unprimed_steps"))), "", "",
                "(reported)", ""));
        double withWeb = (Double) r.get("rss_mb_idle_restart_with_web");
        double withoutWeb = (Double) r.get("rss_mb_idle_restart_without_web");
        report.add(new Row("7", "JVM RSS idle after a restart, dumm-rest + dumm-web booted vs uninstalled",
                String.format("%.0f MB", withWeb), String.format("%.0f MB (without)", withoutWeb),
                String.format("%+.0f MB", withWeb - withoutWeb), "≤ +40 MB", met(withWeb - withoutWeb <= 40)));
        double rss0 = (Double) r.get("rss_mb_idle_no_guests");
        report.add(new Row("7", "JVM RSS idle with " + opt.guests + " guests running / after a restart re-adopting them",
                String.format("%.0f MB / %.0f MB (first start, no guests yet: %.0f MB)", rss, rss2, rss0), "", "",
                "≤ 250 MB", met(Math.max(rss, rss2) <= 250) + (rss0 > 250 ? " (first start: missed)" : "")));
    }

    /** The JVM CPU seconds a start's steps recorded at ready, as text. */
    private static String cpuAtReady(Object steps) {
        if (steps instanceof List<?> starts) { // several fresh instances
            return starts.stream().map(KarafStartItem::cpuAtReady).collect(Collectors.joining(", ", "(", ")"));
        }
        return steps instanceof Map<?, ?> m && m.get("jvm_cpu_s") != null ? String.valueOf(m.get("jvm_cpu_s")) : "?";
    }

    private static Path findAssembly() throws IOException {
        Path dir = Path.of("karaf-assembly/target");
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("dumm-karaf-.*\\.tar\\.gz"))
                    .max((a, b) -> Long.compare(a.toFile().lastModified(), b.toFile().lastModified())).orElse(null);
        }
    }
}
