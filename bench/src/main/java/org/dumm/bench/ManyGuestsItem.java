package org.dumm.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.dumm.api.ExecResult;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;
import org.dumm.api.GuestState;
import org.dumm.api.Transport;
import org.dumm.bench.BenchReport.Row;
import org.dumm.core.internal.MeshManager;

import static org.dumm.bench.BenchContext.EXEC_TIMEOUT;
import static org.dumm.bench.BenchContext.sides;
import static org.dumm.bench.BenchReport.list;
import static org.dumm.bench.BenchReport.mean;
import static org.dumm.bench.BenchReport.met;
import static org.dumm.bench.BenchReport.x;

/**
 * Items 2 and 5: N guests started at once on each side (ABBA rounds), until all are exec-ready,
 * with the host memory they hold idle; then their teardown (processes, TAPs, mounts) and the
 * deletion of their definitions and diffs.
 */
final class ManyGuestsItem implements BenchItem {

    @Override
    public String id() {
        return "2+5";
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        BenchOptions opt = ctx.opt();
        BenchReport report = ctx.report();
        int n = opt.guests;
        List<Map<String, Object>> rounds = new ArrayList<>();
        List<Double> dummBoot = new ArrayList<>();
        List<Double> bareBoot = new ArrayList<>();
        List<Double> dummDown = new ArrayList<>();
        List<Double> bareDown = new ArrayList<>();
        List<Double> dummDel = new ArrayList<>();
        List<Double> bareDel = new ArrayList<>();
        List<Double> dummMb = new ArrayList<>();
        List<Double> bareMb = new ArrayList<>();
        int dummFail = 0;
        int bareFail = 0;
        for (int r = 0; r < opt.rounds; r++) {
            // ABBA: Dumm first in even rounds
            for (boolean dummSide : sides(r)) {
                Map<String, Object> res = dummSide ? dummMany(ctx, n) : bareMany(ctx, n);
                res.put("round", r);
                rounds.add(res);
                boolean isDumm = res.get("side").equals("dumm");
                (isDumm ? dummBoot : bareBoot).add((Double) res.get("all_ready_s"));
                (isDumm ? dummDown : bareDown).add((Double) res.get("teardown_s"));
                (isDumm ? dummDel : bareDel).add((Double) res.get("delete_s"));
                (isDumm ? dummMb : bareMb).add((Double) res.get("host_mb_per_guest_pss"));
                if (isDumm) {
                    dummFail += (Integer) res.get("failures");
                } else {
                    bareFail += (Integer) res.get("failures");
                }
            }
        }
        Map<String, Object> m = report.section("2_5_many_guests");
        m.put("guests", n);
        m.put("note", "N guests at once: Dumm is ready when startGuests returns (each start ends with an "
                + "exec of the startup-script check); an exec sweep afterwards confirms, untimed");
        m.put("rounds", rounds);
        double db = mean(dummBoot);
        double bb = mean(bareBoot);
        double ratio = db / bb;
        if (opt.wants("2")) {
            report.add(new Row("2", n + " guests at once → all exec-ready (mean of " + opt.rounds + " rounds, ABBA)",
                    String.format("%.2f s (%s), %d failed", db, list(dummBoot), dummFail),
                    String.format("%.2f s (%s), %d failed", bb, list(bareBoot), bareFail),
                    x(ratio), "≤ 1.05× bare, 0 failures", met(ratio <= 1.05 && dummFail == 0)));
            report.add(new Row("2", "host memory per idle guest (PSS of its processes)",
                    String.format("%.1f MB", mean(dummMb)), String.format("%.1f MB", mean(bareMb)),
                    x(mean(dummMb) / mean(bareMb)), "(reported)", ""));
        }
        if (opt.wants("5")) {
            double dd = mean(dummDown);
            double bd = mean(bareDown);
            double per100 = dd / n * 100;
            report.add(new Row("5", "teardown of " + n + " running guests: processes + TAPs + mounts (mean of " + opt.rounds + ")",
                    String.format("%.2f s (%s)", dd, list(dummDown)), String.format("%.2f s (%s)", bd, list(bareDown)), x(dd / bd),
                    "100 guests ≤ 2 s", n == 100 ? met(dd <= 2.0)
                            : met(per100 <= 2.0) + String.format(" (scaled to 100: %.2f s)", per100)));
            report.add(new Row("5", "then delete " + n + " definitions + diffs (Dumm deleteGuest each; bare rm -r)",
                    String.format("%.2f s", mean(dummDel)), String.format("%.2f s", mean(bareDel)),
                    x(mean(dummDel) / mean(bareDel)), "(reported)", ""));
        }
    }

    private Map<String, Object> dummMany(BenchContext ctx, int n) {
        BenchReport report = ctx.report();
        MeshManager mesh = ctx.mesh();
        List<String> names = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String name = String.format("dmbd%03d", i);
            mesh.createGuest(GuestDefinition.named(name));
            mesh.addInterface(name, "eth0", "dmbbrd", null, Transport.TUNTAP);
            names.add(name);
        }
        long defined = System.nanoTime() - t0;
        long shm0 = Host.shmUsedBytes();
        ctx.log("dumm: starting " + n + " guests");
        double jvm0 = Host.selfCpuSeconds();
        long t1 = System.nanoTime();
        Map<String, String> failures = new TreeMap<>(mesh.startGuests(names, line -> { }));
        // startGuest returns once the guest answered an exec (its startup script): that is the
        // ready signal. The sweep below only double-checks, untimed.
        long t2 = System.nanoTime();
        double jvmCpu = Host.selfCpuSeconds() - jvm0;
        double guestCpu = Host.guestsCpuSeconds(names.stream().map(nm -> mesh.guest(nm).orElseThrow())
                .filter(g -> g.pid() > 0).map(Guest::pid).toList());
        int answered = 0;
        for (String name : names) {
            if (!failures.containsKey(name)) {
                try {
                    ExecResult r = mesh.exec(name, "true", EXEC_TIMEOUT);
                    if (r.succeeded()) {
                        answered++;
                    } else {
                        failures.put(name, "exec true: status " + r.exitStatus());
                    }
                } catch (RuntimeException e) {
                    failures.put(name, "exec true after start: " + e.getMessage());
                }
            }
        }
        ctx.log(String.format("dumm: %d guests exec-ready in %.2f s, %d failed %s; guest CPU %.2f s each, JVM CPU %.1f s",
                answered, (t2 - t1) / 1e9, failures.size(), failures.isEmpty() ? "" : failures,
                guestCpu / Math.max(1, answered), jvmCpu));
        if (!failures.isEmpty()) {
            report.problem("dumm, " + n + " guests: " + failures.size() + " failed: " + failures);
        }
        int openFds = Host.openFds();
        Host.sleep(3000); // let boot-time activity settle before looking at memory
        List<String> up = names.stream().filter(nm -> mesh.guest(nm).orElseThrow().state()
                == GuestState.RUNNING).toList();
        List<Long> pids = up.stream().map(nm -> mesh.guest(nm).orElseThrow().pid()).filter(p -> p > 0).toList();
        long pss = Host.guestsPssKb(pids);
        long shm1 = Host.shmUsedBytes();
        long t3 = System.nanoTime();
        Map<String, String> stopFailures = mesh.stopGuests(up, Duration.ofSeconds(10), line -> { });
        long t4 = System.nanoTime();
        for (String name : names) {
            mesh.deleteGuest(name, true);
        }
        long t5 = System.nanoTime();
        if (!stopFailures.isEmpty()) {
            report.problem("dumm stopGuests failures: " + stopFailures);
        }
        ctx.log(String.format("dumm: teardown (stopGuests: processes, TAPs, mounts) %.2f s; then deleteGuest x%d %.2f s",
                (t4 - t3) / 1e9, n, (t5 - t4) / 1e9));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("side", "dumm");
        m.put("define_s", Stats.round(defined / 1e9));
        m.put("jvm_open_fds_with_guests_up", openFds);
        m.put("cpu_s_per_guest_at_ready", Stats.round(guestCpu / Math.max(1, answered)));
        m.put("bench_jvm_cpu_s_during_start", Stats.round(jvmCpu));
        m.put("all_ready_s", Stats.round((t2 - t1) / 1e9));
        m.put("failures", n - answered);
        m.put("failure_messages", failures);
        m.put("host_mb_per_guest_pss", Stats.round(pss / 1024.0 / Math.max(1, pids.size())));
        m.put("dev_shm_mb_per_guest", Stats.round((shm1 - shm0) / 1048576.0 / Math.max(1, pids.size())));
        m.put("teardown_s", Stats.round((t4 - t3) / 1e9));
        m.put("delete_s", Stats.round((t5 - t4) / 1e9));
        return m;
    }

    private Map<String, Object> bareMany(BenchContext ctx, int n) throws Exception {
        BareUml bare = ctx.bare();
        long shm0 = Host.shmUsedBytes();
        ctx.log("bare: launching " + n + " guests");
        double jvm0 = Host.selfCpuSeconds();
        long t1 = System.nanoTime();
        List<BareUml.Guest> list = new ArrayList<>();
        ExecutorService waiters = Executors.newFixedThreadPool(n);
        List<Future<Boolean>> ready = new ArrayList<>();
        // all n boot at once and share the CPU, so none is ready much before the last: ~3 s per guest
        // on a slow day on 2 cores (50 took 150 s); the deadline must not cut that short
        long deadline = t1 + Duration.ofSeconds(Math.max(180, n * 6L)).toNanos();
        AtomicLong lastReady = new AtomicLong(t1);
        try {
            for (int i = 0; i < n; i++) {
                String name = String.format("dmbb%03d", i);
                String tap = name + "-e0";
                bare.addTap(tap);
                BareUml.Guest g = bare.launch(name, List.of(tap));
                list.add(g);
                ready.add(waiters.submit(() -> {
                    boolean ok = bare.awaitReady(g, deadline);
                    lastReady.accumulateAndGet(System.nanoTime(), Math::max);
                    return ok;
                }));
            }
            int failures = 0;
            for (Future<Boolean> f : ready) {
                failures += f.get() ? 0 : 1;
            }
            long t2 = lastReady.get();
            double jvmCpu = Host.selfCpuSeconds() - jvm0;
            double guestCpu = Host.guestsCpuSeconds(list.stream().map(g -> g.pid).toList());
            ctx.log(String.format("bare: %d guests ready in %.2f s, %d failed; guest CPU %.2f s each, bench JVM CPU %.1f s",
                    n - failures, (t2 - t1) / 1e9, failures, guestCpu / Math.max(1, n - failures), jvmCpu));
            Host.sleep(3000);
            List<Long> pids = list.stream().filter(BareUml.Guest::alive).map(g -> g.pid).toList();
            long pss = Host.guestsPssKb(pids);
            long shm1 = Host.shmUsedBytes();
            long[] down = bare.teardown(list);
            long stop = down[0] + down[1] + down[2];
            ctx.log(String.format("bare: teardown %.2f s (halt+exit %.2f, ip -batch del %.2f, umount %.2f; then rm %.2f)",
                    stop / 1e9, down[0] / 1e9, down[1] / 1e9, down[2] / 1e9, down[3] / 1e9));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("side", "bare");
            m.put("all_ready_s", Stats.round((t2 - t1) / 1e9));
            m.put("failures", failures);
            m.put("cpu_s_per_guest_at_ready", Stats.round(guestCpu / Math.max(1, n - failures)));
            m.put("bench_jvm_cpu_s_during_start", Stats.round(jvmCpu));
            m.put("host_mb_per_guest_pss", Stats.round(pss / 1024.0 / Math.max(1, pids.size())));
            m.put("dev_shm_mb_per_guest", Stats.round((shm1 - shm0) / 1048576.0 / Math.max(1, pids.size())));
            m.put("teardown_s", Stats.round(stop / 1e9));
            m.put("teardown_halt_and_exit_s", Stats.round(down[0] / 1e9));
            m.put("teardown_ip_batch_del_s", Stats.round(down[1] / 1e9));
            m.put("teardown_umount_s", Stats.round(down[2] / 1e9));
            m.put("delete_s", Stats.round(down[3] / 1e9));
            return m;
        } finally {
            waiters.shutdownNow();
        }
    }
}
