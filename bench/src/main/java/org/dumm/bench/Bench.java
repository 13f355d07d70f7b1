package org.dumm.bench;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.dumm.bench.BenchReport.Row;

import static org.dumm.bench.BenchReport.oneLine;

/**
 * {@code ./dumm bench}: Dumm side by side with bare {@code linux.uml} in one run, interleaved so
 * that load from other work on the machine hits both alike. Writes {@code report.md} and
 * {@code report.json}. Everything it creates carries the prefix {@code dmb} and is removed at the
 * end, on failure and on Ctrl-C.
 */
public final class Bench {

    /** The items, in the order they run. A new item is a class of its own and a line here. */
    private static final List<BenchItem> ITEMS = List.of(
            new SingleBootItem(),
            new ExecAndConnectItem(),
            new ManyGuestsItem(),
            new ThroughputItem(),
            new KarafStartItem(),
            new NetnsCrowdItem(),
            new DebianItem(),
            new ScenarioRunnerItem(),
            new CaptureItem(),
            new LabItem(),
            new RestItem());

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        BenchOptions opt = BenchOptions.parse(args);
        BenchReport report = new BenchReport(opt);
        BenchContext ctx = new BenchContext(opt, report);
        Thread hook = new Thread(ctx::cleanup, "dmb-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        int rc = 0;
        try {
            runAll(ctx);
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

    private static void runAll(BenchContext ctx) throws Exception {
        BenchOptions opt = ctx.opt();
        BenchReport report = ctx.report();
        ctx.log("work dir " + ctx.tmp() + "; " + (opt.quick ? "quick" : "full") + " run, " + opt.guests + " guests at once");
        report.put("started", Instant.now().toString());
        report.put("options", opt.asJson());
        report.put("host", BenchReport.hostInfo());
        ctx.setUp();

        for (BenchItem item : ITEMS) {
            if (item.selected(opt)) {
                Optional<Row> skipped = item.skipped(opt);
                if (skipped.isPresent()) {
                    report.add(skipped.get());
                } else {
                    phase(ctx, item);
                }
            }
        }
        report.put("finished", Instant.now().toString());
    }

    /**
     * One item with its load and time recorded under report.json's {@code context}; a failure
     * becomes a problem and an "error" row, and the guests the item left are deleted after it.
     */
    private static void phase(BenchContext ctx, BenchItem item) {
        BenchReport report = ctx.report();
        String id = item.id();
        long t0 = System.nanoTime();
        double load0 = Host.loadAverage();
        int foreign0 = ctx.foreignGuests();
        ctx.log("---- item " + id + " (load " + load0 + ", other linux.uml processes: " + foreign0 + ")");
        try {
            item.run(ctx);
        } catch (Exception | AssertionError e) {
            report.problem("item " + id + " failed: " + e);
            ctx.log("item " + id + " FAILED: " + e);
            e.printStackTrace();
            report.add(new Row(id, "item " + id, "failed: " + oneLine(e.getMessage()), "", "", "", "error"));
        } finally {
            Map<String, Object> context = new LinkedHashMap<>();
            context.put("seconds", Stats.round((System.nanoTime() - t0) / 1e9));
            context.put("load_before", load0);
            context.put("load_after", Host.loadAverage());
            context.put("other_uml_processes_before", foreign0);
            context.put("other_uml_processes_after", ctx.foreignGuests());
            report.section("context").put("item_" + id, context);
            ctx.tidyGuests();
        }
    }
}
