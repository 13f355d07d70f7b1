package org.dumm.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.dumm.api.ExecResult;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Transport;
import org.dumm.bench.BenchReport.Row;
import org.dumm.core.internal.MeshManager;
import org.dumm.tap.internal.TunTapDriver;

import static org.dumm.bench.BenchContext.EXEC_TIMEOUT;
import static org.dumm.bench.BenchContext.check;
import static org.dumm.bench.BenchContext.sides;
import static org.dumm.bench.BenchReport.list;
import static org.dumm.bench.BenchReport.mean;
import static org.dumm.bench.BenchReport.met;
import static org.dumm.bench.BenchReport.ms;
import static org.dumm.bench.BenchReport.oneLine;
import static org.dumm.bench.BenchReport.sec;
import static org.dumm.bench.BenchReport.x;

/**
 * {@code ./dumm bench}: Dumm side by side with bare {@code linux.uml} in one run, interleaved so
 * that load from other work on the machine hits both alike. Writes {@code report.md} and
 * {@code report.json}. Everything it creates carries the prefix {@code dmb} and is removed at the
 * end, on failure and on Ctrl-C.
 */
public final class Bench {

    private final BenchContext ctx;

    private Bench(BenchContext ctx) {
        this.ctx = ctx;
    }

    public static void main(String[] args) throws Exception {
        BenchOptions opt = BenchOptions.parse(args);
        BenchReport report = new BenchReport(opt);
        BenchContext ctx = new BenchContext(opt, report);
        Thread hook = new Thread(ctx::cleanup, "dmb-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        int rc = 0;
        try {
            new Bench(ctx).runAll();
        } catch (Throwable t) {
            rc = 1;
            report.problem("bench aborted: " + t);
            t.printStackTrace();
        } finally {
            ctx.cleanup();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
        report.write();
        System.exit(rc);
    }

    // ---- the run -------------------------------------------------------------------------------

    private void runAll() throws Exception {
        BenchOptions opt = ctx.opt();
        BenchReport report = ctx.report();
        ctx.log("work dir " + ctx.tmp() + "; " + (opt.quick ? "quick" : "full") + " run, " + opt.guests + " guests at once");
        report.put("started", Instant.now().toString());
        report.put("options", opt.asJson());
        report.put("host", BenchReport.hostInfo());
        ctx.setUp();

        if (opt.wants("1")) {
            phase("1", () -> new SingleBootItem().run(ctx));
        }
        if (opt.wants("3") || opt.wants("4")) {
            phase("3+4", () -> new ExecAndConnectItem().run(ctx));
        }
        if (opt.wants("2") || opt.wants("5")) {
            phase("2+5", () -> new ManyGuestsItem().run(ctx));
        }
        if (opt.wants("6")) {
            if (opt.iperf) {
                phase("6", () -> new ThroughputItem().run(ctx));
            } else {
                report.add(new Row("6", "guest↔guest TCP, tuntap vs vector", "skipped (--quick; use --iperf)", "", "", "vector ≥ 4.5 Gbit/s", "not measured"));
            }
        }
        if (opt.wants("7")) {
            if (opt.karaf) {
                phase("7", this::karafStart);
            } else {
                report.add(new Row("7", "Karaf start → ready, JVM RSS", "skipped (--no-karaf)", "", "", "≤ 5 s, ≤ 250 MB", "not measured"));
            }
        }
        report.put("finished", Instant.now().toString());
    }

    private interface Phase {
        void run() throws Exception;
    }

    private void phase(String item, Phase p) {
        BenchReport report = ctx.report();
        long t0 = System.nanoTime();
        double load0 = Host.loadAverage();
        int foreign0 = ctx.foreignGuests();
        ctx.log("---- item " + item + " (load " + load0 + ", other linux.uml processes: " + foreign0 + ")");
        try {
            p.run();
        } catch (Exception | AssertionError e) {
            report.problem("item " + item + " failed: " + e);
            ctx.log("item " + item + " FAILED: " + e);
            e.printStackTrace();
            report.add(new Row(item, "item " + item, "failed: " + oneLine(e.getMessage()), "", "", "", "error"));
        } finally {
            Map<String, Object> context = new LinkedHashMap<>();
            context.put("seconds", Stats.round((System.nanoTime() - t0) / 1e9));
            context.put("load_before", load0);
            context.put("load_after", Host.loadAverage());
            context.put("other_uml_processes_before", foreign0);
            context.put("other_uml_processes_after", ctx.foreignGuests());
            report.section("context").put("item_" + item, context);
            ctx.tidyGuests();
        }
    }

    // ---- item 7: Karaf ---------------------------------------------------------------------------

    private void karafStart() throws Exception {
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
        double rss0 = (Double) r.get("rss_mb_idle_no_guests");
        report.add(new Row("7", "JVM RSS idle with " + opt.guests + " guests running / after a restart re-adopting them",
                String.format("%.0f MB / %.0f MB (first start, no guests yet: %.0f MB)", rss, rss2, rss0), "", "",
                "≤ 250 MB", met(Math.max(rss, rss2) <= 250) + (rss0 > 250 ? " (first start: missed)" : "")));
    }

    /** The JVM CPU seconds a start's steps recorded at ready, as text. */
    private static String cpuAtReady(Object steps) {
        if (steps instanceof List<?> starts) { // several fresh instances
            return starts.stream().map(Bench::cpuAtReady).collect(Collectors.joining(", ", "(", ")"));
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
